-- How many posts (and pages) readers can see, kept up to date by triggers, so the home page's
-- "Page 1 of N" reads one row instead of counting every published post on each render.

CREATE TABLE public_post_counts (
  type  TEXT    PRIMARY KEY CHECK (type IN ('post', 'page')),
  count INTEGER NOT NULL CHECK (count >= 0)
) WITHOUT ROWID;

INSERT INTO public_post_counts (type, count)
  SELECT 'post', count(*) FROM posts WHERE type = 'post' AND status = 'published' AND deleted_at IS NULL;
INSERT INTO public_post_counts (type, count)
  SELECT 'page', count(*) FROM posts WHERE type = 'page' AND status = 'published' AND deleted_at IS NULL;

-- The same conditions as posts_searchable (0006): public means published and not in the trash.
CREATE TRIGGER public_post_counts_insert AFTER INSERT ON posts
WHEN new.status = 'published' AND new.deleted_at IS NULL BEGIN
  UPDATE public_post_counts SET count = count + 1 WHERE type = new.type;
END;
CREATE TRIGGER public_post_counts_delete AFTER DELETE ON posts
WHEN old.status = 'published' AND old.deleted_at IS NULL BEGIN
  UPDATE public_post_counts SET count = count - 1 WHERE type = old.type;
END;
CREATE TRIGGER public_post_counts_update AFTER UPDATE OF type, status, deleted_at ON posts
WHEN (old.status = 'published' AND old.deleted_at IS NULL) OR (new.status = 'published' AND new.deleted_at IS NULL) BEGIN
  UPDATE public_post_counts SET count = count - 1 WHERE type = old.type AND old.status = 'published' AND old.deleted_at IS NULL;
  UPDATE public_post_counts SET count = count + 1 WHERE type = new.type AND new.status = 'published' AND new.deleted_at IS NULL;
END;

-- Reading stays fast on a blog of years: every public list, count and neighbour lookup reads an
-- index of published posts instead of the posts themselves, and search reads an index that holds
-- only what readers can find.

-- What readers can see, newest first. Partial (published, not in the trash), so it is small and
-- a count(*) or an OFFSET reads only index pages, never the rows with their HTML and text. The
-- home page, the feeds, year pages, a post's previous/next and the year list all use it; queries
-- must spell the condition exactly as here (status = 'published' AND deleted_at IS NULL) for
-- SQLite to choose it.
CREATE INDEX posts_published ON posts (type, published_at DESC, id DESC)
  WHERE status = 'published' AND deleted_at IS NULL;

-- The same per writer: their page, their feeds and the archive's list of writers.
CREATE INDEX posts_published_by_author ON posts (author_id, type, published_at DESC, id DESC)
  WHERE status = 'published' AND deleted_at IS NULL;

-- Emptying the trash (every 15 s and at start) no longer reads every post.
CREATE INDEX posts_trashed ON posts (deleted_at) WHERE deleted_at IS NOT NULL;

-- Search. Until now posts_fts indexed every post, drafts and trash included, so each search had
-- to look up every match in posts to drop the ones readers may not see (thousands of rows for a
-- common word), and every autosave of a draft re-indexed its whole text. Now the index holds
-- published posts only: its content is this view, and the triggers below add a post when it
-- becomes public and remove it when it stops being public, whatever the change (publish,
-- schedule coming due, unpublish, trash, restore, delete, edit).
CREATE VIEW posts_searchable AS
  SELECT id, title, text FROM posts WHERE status = 'published' AND deleted_at IS NULL;

DROP TRIGGER posts_fts_insert;
DROP TRIGGER posts_fts_delete;
DROP TRIGGER posts_fts_update;
DROP TABLE posts_fts;

-- Readers' words match as prefixes ("walk" finds "walking"). Without a prefix index a two- or
-- three-letter word is expanded into every term that starts with it, hundreds on a large blog,
-- and merged at each search; prefix = '2 3' keeps those ready.
CREATE VIRTUAL TABLE posts_fts USING fts5 (
  title, text, content = 'posts_searchable', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT INTO posts_fts (posts_fts) VALUES ('rebuild');

CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts
WHEN new.status = 'published' AND new.deleted_at IS NULL BEGIN
  INSERT INTO posts_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts
WHEN old.status = 'published' AND old.deleted_at IS NULL BEGIN
  INSERT INTO posts_fts (posts_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
-- One trigger, so the old entry always goes before the new one comes in.
CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, text, status, deleted_at ON posts
WHEN (old.status = 'published' AND old.deleted_at IS NULL) OR (new.status = 'published' AND new.deleted_at IS NULL) BEGIN
  INSERT INTO posts_fts (posts_fts, rowid, title, text)
    SELECT 'delete', old.id, old.title, old.text WHERE old.status = 'published' AND old.deleted_at IS NULL;
  INSERT INTO posts_fts (rowid, title, text)
    SELECT new.id, new.title, new.text WHERE new.status = 'published' AND new.deleted_at IS NULL;
END;

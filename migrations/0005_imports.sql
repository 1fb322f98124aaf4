-- Imports remember where each post came from, so importing the same export again adds nothing
-- and a post deleted here for good can be imported again.

CREATE TABLE imported_posts (
  -- Where the post came from, e.g. 'ghost'.
  source      TEXT    NOT NULL,
  -- Its id there: for Ghost the post's uuid (kept across Ghost-to-Ghost moves), else its id.
  source_id   TEXT    NOT NULL,
  post_id     INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  imported_at INTEGER NOT NULL,
  PRIMARY KEY (source, source_id)
) WITHOUT ROWID;
CREATE INDEX imported_posts_post ON imported_posts (post_id);

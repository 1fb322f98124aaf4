-- Writing and reading: posts, their history, tags, authors, links that never break.

-- A byline. Usually tied to an account; imported authors may have none.
CREATE TABLE authors (
  id       INTEGER PRIMARY KEY,
  user_id  INTEGER UNIQUE REFERENCES users (id) ON DELETE SET NULL,
  name     TEXT    NOT NULL,
  slug     TEXT    NOT NULL UNIQUE
);

CREATE TABLE posts (
  id            INTEGER PRIMARY KEY,
  -- Stable identity for feed item ids: survives slug and title changes.
  uid           TEXT    NOT NULL UNIQUE,
  type          TEXT    NOT NULL DEFAULT 'post' CHECK (type IN ('post', 'page')),
  author_id     INTEGER NOT NULL REFERENCES authors (id),
  title         TEXT    NOT NULL DEFAULT '',
  slug          TEXT    NOT NULL UNIQUE,
  excerpt       TEXT    NOT NULL DEFAULT '',
  -- Only sanitized HTML is ever stored here.
  html          TEXT    NOT NULL DEFAULT '',
  -- Plain text of html, for search, word counts and automatic excerpts.
  text          TEXT    NOT NULL DEFAULT '',
  word_count    INTEGER NOT NULL DEFAULT 0,
  status        TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'published')),
  -- Bumped by every save; a save names the revision it was based on to detect conflicts.
  revision      INTEGER NOT NULL DEFAULT 1,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  -- First publication, or the scheduled time; a typo fix never moves it.
  published_at  INTEGER,
  -- Set only when the writer marks an edit as a significant update.
  significant_update_at INTEGER,
  deleted_at    INTEGER
);
CREATE INDEX posts_public ON posts (status, deleted_at, published_at DESC);
CREATE INDEX posts_author ON posts (author_id, updated_at DESC);
CREATE INDEX posts_updated ON posts (updated_at DESC);

-- History: saves that change content, coalesced per writing session.
CREATE TABLE revisions (
  id         INTEGER PRIMARY KEY,
  post_id    INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
  title      TEXT    NOT NULL,
  html       TEXT    NOT NULL,
  word_count INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  saved_at   INTEGER NOT NULL
);
CREATE INDEX revisions_post ON revisions (post_id, saved_at DESC);

CREATE TABLE tags (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  slug TEXT NOT NULL UNIQUE
);

CREATE TABLE post_tags (
  post_id  INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  tag_id   INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  position INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (post_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX post_tags_tag ON post_tags (tag_id);

-- Old addresses of published posts answer 301 to the current one.
CREATE TABLE redirects (
  path    TEXT    PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Private preview links: unguessable, revocable; only the token's hash is kept.
CREATE TABLE preview_links (
  id         INTEGER PRIMARY KEY,
  post_id    INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  token_hash BLOB    NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

-- Full-text search over posts (external content: the text lives once, in posts).
CREATE VIRTUAL TABLE posts_fts USING fts5 (
  title, text, content = 'posts', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
  INSERT INTO posts_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
  INSERT INTO posts_fts (posts_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, text ON posts BEGIN
  INSERT INTO posts_fts (posts_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
  INSERT INTO posts_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;

-- What readers see changes only through these tables. Every change that can affect a public
-- page bumps this one row, also when the CLI writes from another process, so the server's
-- rendered-page cache and the ETag/Last-Modified it sends stay right at the cost of one read.
CREATE TABLE public_state (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  version    INTEGER NOT NULL,
  changed_at INTEGER NOT NULL
);
INSERT INTO public_state (id, version, changed_at) VALUES (1, 1, CAST(unixepoch('subsec') * 1000 AS INTEGER));

CREATE TRIGGER public_posts_insert AFTER INSERT ON posts WHEN new.status = 'published' BEGIN
  UPDATE public_state SET version = version + 1, changed_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);
END;
CREATE TRIGGER public_posts_update AFTER UPDATE ON posts WHEN old.status = 'published' OR new.status = 'published' BEGIN
  UPDATE public_state SET version = version + 1, changed_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);
END;
CREATE TRIGGER public_posts_delete AFTER DELETE ON posts WHEN old.status = 'published' BEGIN
  UPDATE public_state SET version = version + 1, changed_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);
END;
CREATE TRIGGER public_tags_change AFTER INSERT ON post_tags BEGIN
  UPDATE public_state SET version = version + 1, changed_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);
END;
CREATE TRIGGER public_tags_remove AFTER DELETE ON post_tags BEGIN
  UPDATE public_state SET version = version + 1, changed_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);
END;
CREATE TRIGGER public_authors_change AFTER UPDATE ON authors BEGIN
  UPDATE public_state SET version = version + 1, changed_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);
END;
CREATE TRIGGER public_settings_insert AFTER INSERT ON settings BEGIN
  UPDATE public_state SET version = version + 1, changed_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);
END;
CREATE TRIGGER public_settings_update AFTER UPDATE ON settings BEGIN
  UPDATE public_state SET version = version + 1, changed_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);
END;

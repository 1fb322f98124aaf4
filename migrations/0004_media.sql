-- Images in posts: the files under DATA_DIR/media, what they are, and which posts use them.
-- Times are integer milliseconds since the Unix epoch (UTC).

-- One picture as a writer uploaded it. Its files (the web versions, and the full-size copy when
-- the owner keeps originals) are rows of media_files.
CREATE TABLE media (
  id             INTEGER PRIMARY KEY,
  -- SHA-256 (hex) of the main web version. Processing is deterministic, so the same picture
  -- uploaded twice (or pasted into two posts) is stored once.
  content_hash   TEXT    NOT NULL UNIQUE,
  mime           TEXT    NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'image/webp', 'image/gif')),
  -- Of the main web version (at most 1600 px wide), after the EXIF orientation was applied.
  width          INTEGER NOT NULL,
  height         INTEGER NOT NULL,
  animated       INTEGER NOT NULL DEFAULT 0,
  -- Size of the upload as received; the files' own sizes are in media_files.
  source_bytes   INTEGER NOT NULL,
  created_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at     INTEGER NOT NULL,
  -- Since when no post and no revision refers to it (NULL while one does). Thirty days later
  -- the background jobs delete it, files and all.
  orphaned_since INTEGER
);
CREATE INDEX media_orphaned ON media (orphaned_since) WHERE orphaned_since IS NOT NULL;

-- Every file /media/ serves. The name is the first 128 bits of the file's SHA-256 in hex plus
-- its extension, so a file's address never changes meaning and can be cached for ever.
CREATE TABLE media_files (
  name     TEXT    PRIMARY KEY,
  media_id INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
  -- 'large': the main web version (src); 'small': 800 px wide, for srcset; 'original': the
  -- full-size copy, only while the owner keeps originals (metadata stripped like the others).
  variant  TEXT    NOT NULL CHECK (variant IN ('large', 'small', 'original')),
  width    INTEGER NOT NULL,
  height   INTEGER NOT NULL,
  bytes    INTEGER NOT NULL,
  UNIQUE (media_id, variant)
) WITHOUT ROWID;

-- Which pictures a post uses, counting every revision in its history too, so restoring an old
-- version never brings back a broken image. Recomputed from the HTML whenever a post is saved.
CREATE TABLE post_media (
  post_id  INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  media_id INTEGER NOT NULL REFERENCES media (id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, media_id)
) WITHOUT ROWID;
CREATE INDEX post_media_media ON post_media (media_id);

-- The owner's choice to keep a full-size copy of each upload lives in settings under the key
-- 'keep_original_images' ('1' or absent); nothing to create here.

-- Quire's first schema: accounts, invites, sessions and blog settings.
-- Times are integer milliseconds since the Unix epoch (UTC).

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  -- Generated (word-word-NNNN), never chosen; compared case-insensitively.
  username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  display_name  TEXT    NOT NULL,
  role          TEXT    NOT NULL CHECK (role IN ('owner', 'writer')),
  -- argon2id PHC string; parameters travel with the hash so they can be raised later.
  password_hash TEXT    NOT NULL,
  created_at    INTEGER NOT NULL
);

CREATE TABLE invites (
  id          INTEGER PRIMARY KEY,
  -- SHA-256 of the 160-bit token: a leaked database cannot be turned into working links.
  token_hash  BLOB    NOT NULL UNIQUE,
  role        TEXT    NOT NULL CHECK (role IN ('owner', 'writer')),
  created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER,
  used_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
  revoked_at  INTEGER
);

CREATE TABLE sessions (
  id               INTEGER PRIMARY KEY,
  -- SHA-256 of the cookie's token, never the token itself.
  token_hash       BLOB    NOT NULL UNIQUE,
  user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at       INTEGER NOT NULL,
  last_seen_at     INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  -- When the person last proved who they are (sign-in or re-confirmation).
  authenticated_at INTEGER NOT NULL,
  -- A short browser description ("Chrome on Linux") for the account page; not the full header.
  browser          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Second factors and ways back in: TOTP, recovery codes, passkeys, two-step sign-in,
-- recovery links and the security events a writer sees on their account page.
-- Times are integer milliseconds since the Unix epoch (UTC).

-- One authenticator app per account. While `enabled_at` is NULL the secret is an enrolment
-- waiting for its first correct code and does not protect sign-in yet.
CREATE TABLE totp_credentials (
  user_id        INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  -- AES-256-GCM: key-id byte, IV, ciphertext, tag (src/auth/encryption.ts). Never plain text.
  secret         BLOB    NOT NULL,
  created_at     INTEGER NOT NULL,
  enabled_at     INTEGER,
  -- The last accepted 30-second time step: it and every earlier one are refused (no replay).
  last_time_step INTEGER
);

-- Ten single-use codes per set; only their SHA-256 is stored.
CREATE TABLE recovery_codes (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash  BLOB    NOT NULL,
  created_at INTEGER NOT NULL,
  used_at    INTEGER,
  UNIQUE (user_id, code_hash)
);

-- The WebAuthn user handle: random bytes with no personal data, so an authenticator never
-- learns anything about the writer from it. Made the first time a passkey is registered.
CREATE TABLE webauthn_user_handles (
  user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  handle  BLOB    NOT NULL UNIQUE
);

CREATE TABLE passkeys (
  id            INTEGER PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- base64url credential id as the browser reports it.
  credential_id TEXT    NOT NULL UNIQUE,
  -- COSE public key.
  public_key    BLOB    NOT NULL,
  -- Signature counter; 0 for authenticators that do not count (most synced passkeys).
  counter       INTEGER NOT NULL,
  -- JSON array of transports ("internal", "hybrid", …), passed back as hints.
  transports    TEXT    NOT NULL DEFAULT '[]',
  name          TEXT    NOT NULL,
  backed_up     INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- WebAuthn challenges: each is consumed by the one response that answers it, and expires.
CREATE TABLE webauthn_challenges (
  challenge  TEXT    PRIMARY KEY,
  -- register: adding a passkey; sign-in: discoverable sign-in; confirm: re-confirming a session.
  purpose    TEXT    NOT NULL CHECK (purpose IN ('register', 'sign-in', 'confirm')),
  -- Whose ceremony it is; NULL for a sign-in, where nobody is known yet.
  user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);

-- Password accepted, second factor still to come. The browser holds the token in a cookie;
-- only its SHA-256 is stored.
CREATE TABLE pending_sign_ins (
  id         INTEGER PRIMARY KEY,
  token_hash BLOB    NOT NULL UNIQUE,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Where to go after the second step (already checked to be a local path).
  next       TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX pending_sign_ins_user ON pending_sign_ins (user_id);

-- Wrong second-factor codes (authenticator or recovery) per account: a sliding 30-minute window.
CREATE TABLE second_factor_failures (
  id      INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  at      INTEGER NOT NULL
);
CREATE INDEX second_factor_failures_user ON second_factor_failures (user_id, at);

-- One-time links an owner (or the host, on the command line) gives a writer who lost everything.
CREATE TABLE recovery_links (
  id         INTEGER PRIMARY KEY,
  -- SHA-256 of the 160-bit token, like invites.
  token_hash BLOB    NOT NULL UNIQUE,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- NULL when issued on the command line.
  created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER,
  revoked_at INTEGER
);
CREATE INDEX recovery_links_user ON recovery_links (user_id);

-- What happened to an account's security, shown to its writer.
CREATE TABLE security_events (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type       TEXT    NOT NULL,
  -- A short human detail ("with a passkey", "Chrome on Linux"); never a secret.
  detail     TEXT    NOT NULL DEFAULT '',
  browser    TEXT    NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX security_events_user ON security_events (user_id, created_at DESC);

import { sql, type Db } from './database.js';

export interface Passkey {
  id: number;
  userId: number;
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
  name: string;
  backedUp: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

interface PasskeyRow {
  id: number;
  user_id: number;
  credential_id: string;
  public_key: Buffer;
  counter: number;
  transports: string;
  name: string;
  backed_up: number;
  created_at: number;
  last_used_at: number | null;
}

const COLUMNS = 'id, user_id, credential_id, public_key, counter, transports, name, backed_up, created_at, last_used_at';

function parseTransports(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

function toPasskey(row: PasskeyRow | undefined): Passkey | null {
  if (!row) return null;
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: new Uint8Array(row.public_key),
    counter: row.counter,
    transports: parseTransports(row.transports),
    name: row.name,
    backedUp: row.backed_up === 1,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export function insertPasskey(
  db: Db,
  p: { userId: number; credentialId: string; publicKey: Uint8Array; counter: number; transports: string[]; name: string; backedUp: boolean; now: number },
): number {
  const result = sql(
    db,
    'INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, name, backed_up, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(p.userId, p.credentialId, Buffer.from(p.publicKey), p.counter, JSON.stringify(p.transports), p.name, p.backedUp ? 1 : 0, p.now);
  return Number(result.lastInsertRowid);
}

export function getPasskeyByCredentialId(db: Db, credentialId: string): Passkey | null {
  return toPasskey(sql<[string], PasskeyRow>(db, `SELECT ${COLUMNS} FROM passkeys WHERE credential_id = ?`).get(credentialId));
}

export function getUserPasskey(db: Db, userId: number, id: number): Passkey | null {
  return toPasskey(sql<[number, number], PasskeyRow>(db, `SELECT ${COLUMNS} FROM passkeys WHERE user_id = ? AND id = ?`).get(userId, id));
}

export function listPasskeys(db: Db, userId: number): Passkey[] {
  return sql<[number], PasskeyRow>(db, `SELECT ${COLUMNS} FROM passkeys WHERE user_id = ? ORDER BY created_at, id`)
    .all(userId)
    .map((row) => toPasskey(row) as Passkey);
}

export function countPasskeys(db: Db, userId: number): number {
  return (sql<[number], { n: number }>(db, 'SELECT count(*) AS n FROM passkeys WHERE user_id = ?').get(userId) as { n: number }).n;
}

export function recordPasskeyUse(db: Db, id: number, counter: number, backedUp: boolean, now: number): void {
  sql(db, 'UPDATE passkeys SET counter = ?, backed_up = ?, last_used_at = ? WHERE id = ?').run(counter, backedUp ? 1 : 0, now, id);
}

export function renamePasskey(db: Db, userId: number, id: number, name: string): boolean {
  return sql(db, 'UPDATE passkeys SET name = ? WHERE user_id = ? AND id = ?').run(name, userId, id).changes === 1;
}

export function deletePasskey(db: Db, userId: number, id: number): boolean {
  return sql(db, 'DELETE FROM passkeys WHERE user_id = ? AND id = ?').run(userId, id).changes === 1;
}

// ── User handles ───────────────────────────────────────────────────────────

export function getUserHandle(db: Db, userId: number): Buffer | null {
  return sql<[number], { handle: Buffer }>(db, 'SELECT handle FROM webauthn_user_handles WHERE user_id = ?').get(userId)?.handle ?? null;
}

/** Keeps the first handle ever made for the account: later calls with another value change nothing. */
export function ensureUserHandle(db: Db, userId: number, candidate: Buffer): Buffer {
  sql(db, 'INSERT INTO webauthn_user_handles (user_id, handle) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING').run(userId, candidate);
  return getUserHandle(db, userId)!;
}

export function getUserIdByHandle(db: Db, handle: Buffer): number | null {
  return sql<[Buffer], { user_id: number }>(db, 'SELECT user_id FROM webauthn_user_handles WHERE handle = ?').get(handle)?.user_id ?? null;
}

// ── Challenges ─────────────────────────────────────────────────────────────

export type ChallengePurpose = 'register' | 'sign-in' | 'confirm';

export function insertChallenge(db: Db, c: { challenge: string; purpose: ChallengePurpose; userId: number | null; expiresAt: number }, now: number): void {
  // Expired challenges are swept on every insert: the table holds minutes of traffic at most.
  sql(db, 'DELETE FROM webauthn_challenges WHERE expires_at <= ?').run(now);
  sql(db, 'INSERT INTO webauthn_challenges (challenge, purpose, user_id, expires_at) VALUES (?, ?, ?, ?)').run(
    c.challenge,
    c.purpose,
    c.userId,
    c.expiresAt,
  );
}

export function countLiveChallenges(db: Db, purpose: ChallengePurpose, now: number): number {
  return (sql<[string, number], { n: number }>(db, 'SELECT count(*) AS n FROM webauthn_challenges WHERE purpose = ? AND expires_at > ?').get(
    purpose,
    now,
  ) as { n: number }).n;
}

/**
 * Takes a challenge out of the table: true only if it existed for this purpose and person and
 * had not expired. Deleting is the check, so each challenge answers exactly one response.
 */
export function consumeChallenge(db: Db, challenge: string, purpose: ChallengePurpose, userId: number | null, now: number): boolean {
  const row = sql<[string], { purpose: string; user_id: number | null; expires_at: number }>(
    db,
    'DELETE FROM webauthn_challenges WHERE challenge = ? RETURNING purpose, user_id, expires_at',
  ).get(challenge);
  return row !== undefined && row.purpose === purpose && row.user_id === userId && row.expires_at > now;
}

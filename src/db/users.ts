import { sql, type Db } from './database.js';

export type Role = 'owner' | 'writer';

export interface User {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  passwordHash: string;
  createdAt: number;
}

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  created_at: number;
}

const COLUMNS = 'id, username, display_name, role, password_hash, created_at';

function toUser(row: UserRow | undefined): User | null {
  if (!row) return null;
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
}

export function countUsers(db: Db): number {
  return (sql<[], { n: number }>(db, 'SELECT count(*) AS n FROM users').get() as { n: number }).n;
}

export function getUserById(db: Db, id: number): User | null {
  return toUser(sql<[number], UserRow>(db, `SELECT ${COLUMNS} FROM users WHERE id = ?`).get(id));
}

export function getUserByUsername(db: Db, username: string): User | null {
  return toUser(sql<[string], UserRow>(db, `SELECT ${COLUMNS} FROM users WHERE username = ?`).get(username));
}

export function usernameExists(db: Db, username: string): boolean {
  return sql<[string]>(db, 'SELECT 1 FROM users WHERE username = ?').get(username) !== undefined;
}

export function listUsers(db: Db): User[] {
  return sql<[], UserRow>(db, `SELECT ${COLUMNS} FROM users ORDER BY role = 'owner' DESC, display_name COLLATE NOCASE`)
    .all()
    .map((row) => toUser(row) as User);
}

export function insertUser(
  db: Db,
  user: { username: string; displayName: string; role: Role; passwordHash: string; createdAt: number },
): User {
  const result = sql(db, 'INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(
    user.username,
    user.displayName,
    user.role,
    user.passwordHash,
    user.createdAt,
  );
  return { id: Number(result.lastInsertRowid), ...user };
}

export function updatePasswordHash(db: Db, userId: number, passwordHash: string): void {
  sql(db, 'UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, userId);
}

import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  const db = new Database(file);
  // WAL lets readers continue while a writer commits; NORMAL sync is durable across
  // application crashes (the WAL is fsynced at checkpoints) and much faster than FULL.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Wait for a competing writer (the CLI, a backup) instead of failing with SQLITE_BUSY.
  db.pragma('busy_timeout = 5000');
  return db;
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, compiled once per connection. */
export function sql<P extends unknown[] = unknown[], R = unknown>(db: Db, text: string): Database.Statement<P, R> {
  let cache = statementCache.get(db);
  if (!cache) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    statement = db.prepare(text);
    cache.set(text, statement);
  }
  return statement as unknown as Database.Statement<P, R>;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file,
      sql: readFileSync(path.join(dir, file), 'utf8'),
    }));
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration ${m.name} is out of sequence: expected number ${String(i + 1).padStart(4, '0')}`);
  });
  return migrations;
}

/**
 * Applies the migrations newer than PRAGMA user_version, in order, each in its own
 * transaction together with the version bump, so a failure leaves the database at the
 * last good version. Forward-only: a database newer than this code is refused.
 */
export function migrate(db: Db, migrations: Migration[]): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (from > latest) {
    throw new Error(`The database is at version ${from}, newer than this Quire (${latest}). Upgrade Quire or restore a matching backup.`);
  }
  for (const migration of migrations.slice(from)) {
    try {
      db.transaction(() => {
        // Another process (the CLI and the server starting together) may have applied it while we waited for the lock.
        if ((db.pragma('user_version', { simple: true }) as number) >= migration.version) return;
        db.exec(migration.sql);
        db.pragma(`user_version = ${migration.version}`);
      }).immediate();
    } catch (error) {
      throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
    }
  }
  return { from, to: latest };
}

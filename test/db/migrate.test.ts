import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, readMigrations } from '../../src/db/database.js';
import { projectRoot } from '../../src/lib/paths.js';
import { tempDir } from '../helpers.js';

const migrations = readMigrations(path.join(projectRoot(), 'migrations'));

describe('migrations', () => {
  it('bring a fresh database to the latest version, and a second run is a no-op', () => {
    const db = openDatabase(path.join(tempDir(), 'quire.db'));
    expect(migrate(db, migrations)).toEqual({ from: 0, to: migrations.length });
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['users', 'invites', 'sessions', 'settings']));
    expect(migrate(db, migrations)).toEqual({ from: migrations.length, to: migrations.length });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('rolls a failing migration back whole and names it', () => {
    const dir = tempDir();
    const migrationsDir = path.join(dir, 'migrations');
    mkdirSync(migrationsDir);
    writeFileSync(path.join(migrationsDir, '0001_ok.sql'), 'CREATE TABLE a (x);');
    writeFileSync(path.join(migrationsDir, '0002_bad.sql'), 'CREATE TABLE b (x); INSERT INTO nowhere VALUES (1);');
    const db = openDatabase(path.join(dir, 'quire.db'));
    expect(() => migrate(db, readMigrations(migrationsDir))).toThrow(/0002_bad\.sql failed/);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'b'").pluck().get()).toBe(0);
    db.close();
  });

  it('refuses a database newer than the code', () => {
    const db = openDatabase(path.join(tempDir(), 'quire.db'));
    db.pragma('user_version = 999');
    expect(() => migrate(db, migrations)).toThrow(/newer than this Quire/);
    db.close();
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syncPostMedia } from '../../src/db/media.js';
import { makeApp } from '../helpers.js';

/**
 * Another process (the CLI's import or new-post, a backup) holds the write lock for a moment.
 * A transaction that reads first and writes later would fail at once with SQLITE_BUSY when it
 * tries to upgrade its lock (SQLite cannot wait there without risking deadlock); one that takes
 * the write lock up front waits its busy_timeout (5 s) and goes through.
 */
const HOLD_MS = 300;

function holdWriteLock(file: string): ChildProcess {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${HOLD_MS});
  `;
  return spawn(process.execPath, ['-e', script, file], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
}

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill();
  child = undefined;
});

describe('writes while another process holds the write lock', () => {
  // Transactions whose first statement reads: each failed with "database is locked" before
  // they took the write lock up front (an editor save while `quire import` ran, for one).
  const cases: [string, (ctx: ReturnType<typeof makeApp>) => void][] = [['syncPostMedia', (ctx) => syncPostMedia(ctx.db, 1, ctx.clock.now())]];
  for (const [name, write] of cases) {
    it(`${name} waits for the lock instead of failing`, async () => {
      const ctx = makeApp();
      child = holdWriteLock(path.join(ctx.config.dataDir, 'quire.db'));
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      expect(line.toString()).toBe('locked\n');
      expect(() => write(ctx)).not.toThrow();
    });
  }
});

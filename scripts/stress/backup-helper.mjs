// A backup taken from a separate process while the server writes, for when the CLI has no
// `backup` command yet. With a build whose dist/ has Quire's own backup module, it runs exactly
// that code (a .tar.gz with the database snapshot, key and media); otherwise it falls back to
// SQLite's online backup API through better-sqlite3 (a bare database file).
//
//   node scripts/stress/backup-helper.mjs <DATA_DIR> <target> [<build dir>]
//
// Prints one JSON line: { file, method }.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const [dataDir, target, build] = process.argv.slice(2);
if (!dataDir || !target) {
  console.error('usage: node scripts/stress/backup-helper.mjs <DATA_DIR> <target> [<build dir>]');
  process.exit(2);
}
const source = path.join(dataDir, 'quire.db');
const backupModule = build ? path.join(build, 'dist', 'src', 'ops', 'backup.js') : null;

if (backupModule && existsSync(backupModule)) {
  const { createBackup } = await import(pathToFileURL(backupModule).href);
  const { openDatabase } = await import(pathToFileURL(path.join(build, 'dist', 'src', 'db', 'database.js')).href);
  const db = openDatabase(source);
  try {
    const result = await createBackup(db, dataDir, target, Date.now());
    console.log(JSON.stringify({ file: result.file, method: 'createBackup() from dist/src/ops/backup.js' }));
  } finally {
    db.close();
  }
} else {
  const db = new Database(source, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  // All pages in one step, i.e. one read transaction: copied page by page, the backup would
  // restart whenever the server commits and might never finish under steady writes.
  await db.backup(target, { progress: () => 0x7fffffff });
  db.close();
  console.log(JSON.stringify({ file: target, method: 'better-sqlite3 db.backup()' }));
}

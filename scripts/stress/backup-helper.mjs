// A backup the way Quire's own would take one, from a separate process while the server writes:
// SQLite's online backup API copies a consistent snapshot page by page.
//
//   node scripts/stress/backup-helper.mjs <quire.db> <target>
import Database from 'better-sqlite3';
import process from 'node:process';

const [source, target] = process.argv.slice(2);
if (!source || !target) {
  console.error('usage: node scripts/stress/backup-helper.mjs <quire.db> <target>');
  process.exit(2);
}
const db = new Database(source, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
await db.backup(target);
db.close();
console.log(target);

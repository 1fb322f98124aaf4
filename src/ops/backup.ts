// Backups and restores of a whole blog: the database (a consistent snapshot taken with SQLite's
// online backup API while the server keeps writing), uploaded files under DATA_DIR/media, and the
// generated key if there is one, in one .tar.gz. Restores go into an empty DATA_DIR only, so a
// restore can never mix two blogs or overwrite the one that is running.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ArchiveError, extractTarGz, writeTarGz, type ArchiveFile, type ArchiveSource } from '../lib/archive.js';
import { openDatabase, type Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { HOUR, MINUTE } from '../lib/clock.js';
import { logError, logInfo } from '../lib/log.js';

export const DATABASE_FILE = 'quire.db';
export const KEY_FILE = 'secret.key';
export const MEDIA_DIR = 'media';
export const BACKUPS_DIR = 'backups';
const MANIFEST = 'quire-backup.json';
const FORMAT = 'quire-backup';

interface Manifest {
  format: typeof FORMAT;
  version: 1;
  createdAt: string;
  schemaVersion: number;
  includesKey: boolean;
  mediaFiles: number;
}

export interface BackupResult {
  file: string;
  bytes: number;
  mediaFiles: number;
  includesKey: boolean;
  schemaVersion: number;
  ms: number;
}

export class BackupError extends Error {
  override name = 'BackupError';
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Regular files under `dir`, as archive names under `prefix`; symbolic links are not followed.
 * The server keeps running during a backup and deletes expired uploads, so a file that is gone by
 * the time it is listed or read is left out rather than failing the whole backup.
 */
async function filesUnder(dir: string, prefix: string): Promise<ArchiveFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const files: ArchiveFile[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    let stats;
    try {
      stats = await lstat(full);
    } catch (error) {
      if (isMissing(error)) continue;
      throw error;
    }
    if (stats.isDirectory()) files.push(...(await filesUnder(full, `${prefix}/${name}`)));
    else if (stats.isFile()) files.push({ name: `${prefix}/${name}`, path: full, skipIfMissing: true });
  }
  return files;
}

/** The snapshot must pass SQLite's own full check before it goes into an archive or a DATA_DIR. */
export function checkDatabaseFile(file: string): { schemaVersion: number } {
  let db: Db | null = null;
  try {
    db = openDatabase(file);
    const problems = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    if (problems.length !== 1 || problems[0]!.integrity_check !== 'ok') {
      throw new BackupError(`the database fails SQLite's integrity check: ${problems.map((p) => p.integrity_check).slice(0, 3).join('; ')}`);
    }
    const hasUsers = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'users'").get();
    if (!hasUsers) throw new BackupError('the database is not a Quire database (it has no users table)');
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    // A single file is easier to move around than a WAL trio; openDatabase turns WAL back on.
    db.pragma('journal_mode = DELETE');
    return { schemaVersion };
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`the database cannot be read: ${(error as Error).message}`);
  } finally {
    db?.close();
  }
}

/**
 * Writes a backup of the blog in `dataDir` to `file` (which must not exist yet), while `db` may
 * keep serving and writing. The database copy is made in one step of the backup API, i.e. one
 * read transaction: in WAL mode that never blocks writers, and a copy made page by page would
 * restart every time another process (the server) commits, and might never finish.
 */
export async function createBackup(db: Db, dataDir: string, file: string, now: number): Promise<BackupResult> {
  const started = performance.now();
  const target = path.resolve(file);
  if (existsSync(target)) throw new BackupError(`${target} already exists; choose a new file name.`);
  const mediaDir = path.join(dataDir, MEDIA_DIR);
  if (target.startsWith(mediaDir + path.sep)) throw new BackupError('the backup cannot be written inside the media folder it backs up.');
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });

  // Next to the archive rather than in /tmp: the container's root filesystem is read-only, and
  // the archive's folder is known to be writable.
  const snapshot = path.join(path.dirname(target), `.quire-snapshot-${randomBytes(6).toString('hex')}.db`);
  try {
    await db.backup(snapshot, { progress: () => 0x7fffffff });
    const { schemaVersion } = checkDatabaseFile(snapshot);
    const keyPath = path.join(dataDir, KEY_FILE);
    const includesKey = existsSync(keyPath);
    // Listed after the snapshot: every upload the snapshot's posts use is already on disk (files
    // are renamed into media/ before their row is committed), so none is missed.
    const media = await filesUnder(mediaDir, MEDIA_DIR);
    const manifest: Manifest = { format: FORMAT, version: 1, createdAt: new Date(now).toISOString(), schemaVersion, includesKey, mediaFiles: media.length };
    const entries: ArchiveSource[] = [
      { name: MANIFEST, data: JSON.stringify(manifest, null, 2) + '\n' },
      { name: DATABASE_FILE, path: snapshot },
      ...(includesKey ? [{ name: KEY_FILE, path: keyPath }] : []),
      ...media,
    ];
    const bytes = await writeTarGz(target, entries, now);
    return { file: target, bytes, mediaFiles: media.length, includesKey, schemaVersion, ms: Math.round(performance.now() - started) };
  } finally {
    for (const suffix of ['', '-journal', '-wal', '-shm']) await rm(snapshot + suffix, { force: true });
  }
}

function readManifest(file: string): Manifest {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    manifest = null;
  }
  if (typeof manifest !== 'object' || manifest === null || (manifest as Partial<Manifest>).format !== FORMAT) {
    throw new BackupError('this archive is not a Quire backup (its quire-backup.json is not one).');
  }
  return manifest as Manifest;
}

/** Empty, or not there yet. A fresh volume's "lost+found" does not count. */
export function isEmptyDataDir(dataDir: string): boolean {
  if (!existsSync(dataDir)) return true;
  return readdirSync(dataDir).every((name) => name === 'lost+found');
}

export interface RestoreResult {
  files: number;
  mediaFiles: number;
  includesKey: boolean;
  schemaVersion: number;
}

/**
 * Unpacks a backup into `dataDir`, which must be empty. Everything is unpacked into a hidden
 * folder inside it first and checked (a Quire backup, a database that passes integrity_check);
 * only then are the files moved into place. On any failure the folder is left empty again.
 * The caller migrates the database afterwards, by starting Quire as usual.
 */
export async function restoreBackup(file: string, dataDir: string, options: { latestSchemaVersion?: number } = {}): Promise<RestoreResult> {
  const source = path.resolve(file);
  if (!existsSync(source)) throw new BackupError(`${source} does not exist.`);
  if (!isEmptyDataDir(dataDir)) {
    throw new BackupError(
      `DATA_DIR ${dataDir} is not empty. Restore only into an empty folder, so nothing there is overwritten: ` +
        'point DATA_DIR at a new folder (or an empty volume), or move the old contents away first.',
    );
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const staging = path.join(dataDir, `.restore-${randomBytes(6).toString('hex')}`);
  await mkdir(staging, { mode: 0o700 });
  try {
    const names = await extractTarGz(source, staging);
    if (!names.includes(MANIFEST) || !names.includes(DATABASE_FILE)) {
      throw new BackupError('this archive is not a Quire backup (it has no quire-backup.json and quire.db).');
    }
    const unexpected = names.filter((n) => n !== MANIFEST && n !== DATABASE_FILE && n !== KEY_FILE && !n.startsWith(`${MEDIA_DIR}/`));
    if (unexpected.length) throw new BackupError(`this archive has files a Quire backup never has (${unexpected.slice(0, 3).join(', ')}).`);
    readManifest(path.join(staging, MANIFEST));
    const { schemaVersion } = checkDatabaseFile(path.join(staging, DATABASE_FILE));
    // Refused here rather than at the next start, where the server would stop with a restored but unusable blog.
    if (options.latestSchemaVersion !== undefined && schemaVersion > options.latestSchemaVersion) {
      throw new BackupError(
        `this backup was made by a newer Quire (database version ${schemaVersion}; this one knows up to ${options.latestSchemaVersion}). Upgrade Quire first, then restore.`,
      );
    }
    await unlink(path.join(staging, MANIFEST));
    for (const name of readdirSync(staging)) await rename(path.join(staging, name), path.join(dataDir, name));
    await rm(staging, { recursive: true });
    return {
      files: names.length - 1,
      mediaFiles: names.filter((n) => n.startsWith(`${MEDIA_DIR}/`)).length,
      includesKey: names.includes(KEY_FILE),
      schemaVersion,
    };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    for (const name of [DATABASE_FILE, KEY_FILE, MEDIA_DIR]) rmSync(path.join(dataDir, name), { recursive: true, force: true });
    if (error instanceof ArchiveError) throw new BackupError(`this file is not a Quire backup, or it is damaged (${error.message})`);
    throw error;
  }
}

// ── Scheduled backups ────────────────────────────────────────────────────────

/** quire-20261123T093000Z.tar.gz: sorts by time, and is never confused with a backup made by hand. */
const SCHEDULED_NAME = /^quire-\d{8}T\d{6}Z\.tar\.gz$/;
export const KEEP_SCHEDULED = 7;

export function scheduledBackupName(now: number): string {
  return `quire-${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.tar.gz`;
}

function scheduledBackups(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => SCHEDULED_NAME.test(name))
    .sort();
}

export interface ScheduleDeps {
  db: Db;
  dataDir: string;
  clock: Clock;
  /** Hours between backups; 0 turns scheduling off. */
  everyHours: number;
}

/**
 * One scheduled run: a backup if the newest scheduled one is older than the interval (judged
 * by the names, so restarts neither skip nor repeat one), then only the newest 7 are kept.
 * Returns the new backup's path, or null if none was due.
 */
export async function runScheduledBackup({ db, dataDir, clock, everyHours }: ScheduleDeps): Promise<string | null> {
  const dir = path.join(dataDir, BACKUPS_DIR);
  const now = clock.now();
  const newest = scheduledBackups(dir).at(-1);
  const newestAt = newest ? Date.parse(newest.replace(/^quire-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z.*$/, '$1-$2-$3T$4:$5:$6Z')) : 0;
  // A few minutes' slack so a 24-hour schedule does not drift by one check interval a day.
  if (newest && now - newestAt < everyHours * HOUR - 5 * MINUTE) return null;
  // A backup cut short (the server stopped half-way) leaves a .partial archive and a snapshot;
  // only this job writes scheduled names, and it runs one at a time, so any found now are dead.
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (/^quire-\d{8}T\d{6}Z\.tar\.gz\.partial$/.test(name)) await rm(path.join(dir, name), { force: true });
  }
  const result = await createBackup(db, dataDir, path.join(dir, scheduledBackupName(now)), now);
  for (const old of scheduledBackups(dir).slice(0, -KEEP_SCHEDULED)) await rm(path.join(dir, old), { force: true });
  return result.file;
}

/** Checks every 10 minutes whether a backup is due; returns a function that stops the timer. */
export function startScheduledBackups(deps: ScheduleDeps, checkEveryMs = 10 * MINUTE): () => void {
  if (deps.everyHours <= 0) return () => {};
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    runScheduledBackup(deps)
      .then((file) => {
        if (file) logInfo(`Scheduled backup written to ${file}`);
      })
      .catch((error: unknown) => logError(error, { path: 'scheduled backup' }))
      .finally(() => {
        running = false;
      });
  };
  // Not at once: let a starting server settle (and migrate) first.
  const first = setTimeout(tick, Math.min(checkEveryMs, MINUTE));
  const timer = setInterval(tick, checkEveryMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}

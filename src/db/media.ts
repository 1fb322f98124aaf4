import { sql, type Db } from './database.js';
import type { VariantKind } from '../lib/images.js';

/** A file under /media/: "<32 hex digits>.<ext>". Nothing else is ever served or referenced. */
export const MEDIA_NAME = /^[0-9a-f]{32}\.(?:jpg|png|webp|gif)$/;

// A media file named in post HTML: "/media/<name>" root-relative or after the blog's origin.
const MEDIA_REFERENCE = /\/media\/([0-9a-f]{32}\.(?:jpg|png|webp|gif))/g;

export interface MediaFile {
  name: string;
  variant: VariantKind;
  width: number;
  height: number;
  bytes: number;
}

export interface Media {
  id: number;
  contentHash: string;
  mime: string;
  width: number;
  height: number;
  animated: boolean;
  sourceBytes: number;
  createdBy: number | null;
  createdAt: number;
  orphanedSince: number | null;
  /** large first, then small, then original. */
  files: MediaFile[];
}

interface MediaRow {
  id: number;
  content_hash: string;
  mime: string;
  width: number;
  height: number;
  animated: number;
  source_bytes: number;
  created_by: number | null;
  created_at: number;
  orphaned_since: number | null;
}

const MEDIA_SELECT = `SELECT id, content_hash, mime, width, height, animated, source_bytes, created_by, created_at, orphaned_since FROM media`;

function filesOf(db: Db, mediaId: number): MediaFile[] {
  return sql<[number], MediaFile>(
    db,
    `SELECT name, variant, width, height, bytes FROM media_files WHERE media_id = ?
     ORDER BY CASE variant WHEN 'large' THEN 0 WHEN 'small' THEN 1 ELSE 2 END`,
  ).all(mediaId);
}

function toMedia(db: Db, row: MediaRow | undefined): Media | null {
  if (!row) return null;
  return {
    id: row.id,
    contentHash: row.content_hash,
    mime: row.mime,
    width: row.width,
    height: row.height,
    animated: row.animated === 1,
    sourceBytes: row.source_bytes,
    createdBy: row.created_by,
    createdAt: row.created_at,
    orphanedSince: row.orphaned_since,
    files: filesOf(db, row.id),
  };
}

export function getMedia(db: Db, id: number): Media | null {
  return toMedia(db, sql<[number], MediaRow>(db, `${MEDIA_SELECT} WHERE id = ?`).get(id));
}

export function getMediaByHash(db: Db, contentHash: string): Media | null {
  return toMedia(db, sql<[string], MediaRow>(db, `${MEDIA_SELECT} WHERE content_hash = ?`).get(contentHash));
}

export function getMediaByFileName(db: Db, name: string): Media | null {
  return toMedia(db, sql<[string], MediaRow>(db, `${MEDIA_SELECT} WHERE id = (SELECT media_id FROM media_files WHERE name = ?)`).get(name));
}

export interface NewMedia {
  contentHash: string;
  mime: string;
  width: number;
  height: number;
  animated: boolean;
  sourceBytes: number;
  createdBy: number | null;
  now: number;
  files: MediaFile[];
}

/**
 * Records an upload whose files are already in place. The same picture again (same content
 * hash) gives the existing row, its 30-day clock restarted if no post uses it: it was uploaded
 * to be used, and the post that will use it may not be saved yet. A file it lacked (an original, kept since the
 * owner turned that on) is added.
 */
export function recordMedia(db: Db, input: NewMedia): Media {
  return db.transaction(() => {
    const { id } = sql<[string, string, number, number, number, number, number | null, number, number], { id: number }>(
      db,
      `INSERT INTO media (content_hash, mime, width, height, animated, source_bytes, created_by, created_at, orphaned_since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (content_hash) DO UPDATE
         SET orphaned_since = CASE WHEN media.orphaned_since IS NULL THEN NULL ELSE excluded.orphaned_since END
       RETURNING id`,
    ).get(
      input.contentHash,
      input.mime,
      input.width,
      input.height,
      input.animated ? 1 : 0,
      input.sourceBytes,
      input.createdBy,
      input.now,
      // Counted as unused until a saved post refers to it.
      input.now,
    )!;
    for (const file of input.files) {
      sql(db, 'INSERT OR IGNORE INTO media_files (name, media_id, variant, width, height, bytes) VALUES (?, ?, ?, ?, ?, ?)').run(
        file.name,
        id,
        file.variant,
        file.width,
        file.height,
        file.bytes,
      );
    }
    return getMedia(db, id)!;
  }).immediate();
}

/** A picture uploaded again: if no post uses it, its 30 days start over (see recordMedia). */
export function touchMedia(db: Db, id: number, now: number): void {
  sql(db, 'UPDATE media SET orphaned_since = ? WHERE id = ? AND orphaned_since IS NOT NULL').run(now, id);
}

/** Every media file name the HTML refers to. */
export function mediaNamesIn(html: string): Set<string> {
  const names = new Set<string>();
  for (const match of html.matchAll(MEDIA_REFERENCE)) names.add(match[1]!);
  return names;
}

/**
 * Recomputes which pictures a post uses, from its current HTML and every revision's. Pictures it
 * uses are no longer orphans; pictures it stopped using become orphans if no other post uses
 * them (the background job deletes them 30 days later). Call after every change to a post's
 * HTML or history.
 */
export function syncPostMedia(db: Db, postId: number, now: number): void {
  db.transaction(() => {
    const names = new Set<string>();
    const rows = sql<[number, number], { html: string }>(
      db,
      `SELECT html FROM posts WHERE id = ? AND html LIKE '%/media/%'
       UNION ALL SELECT html FROM revisions WHERE post_id = ? AND html LIKE '%/media/%'`,
    ).all(postId, postId);
    for (const { html } of rows) for (const name of mediaNamesIn(html)) names.add(name);

    const before = sql<[number], { media_id: number }>(db, 'SELECT media_id FROM post_media WHERE post_id = ?')
      .all(postId)
      .map((row) => row.media_id);
    sql(db, 'DELETE FROM post_media WHERE post_id = ?').run(postId);
    if (names.size > 0) {
      sql(
        db,
        `INSERT OR IGNORE INTO post_media (post_id, media_id)
         SELECT ?, media_id FROM media_files WHERE name IN (SELECT value FROM json_each(?))`,
      ).run(postId, JSON.stringify([...names]));
      sql(db, 'UPDATE media SET orphaned_since = NULL WHERE orphaned_since IS NOT NULL AND id IN (SELECT media_id FROM post_media WHERE post_id = ?)').run(
        postId,
      );
    }
    if (before.length > 0) {
      sql(
        db,
        `UPDATE media SET orphaned_since = ?
         WHERE orphaned_since IS NULL AND id IN (SELECT value FROM json_each(?))
           AND NOT EXISTS (SELECT 1 FROM post_media pm WHERE pm.media_id = media.id)`,
      ).run(now, JSON.stringify(before));
    }
  }).immediate();
}

/**
 * Brings every picture's orphan mark up to date from post_media: used ones lose it, unused ones
 * get it now. Catches what syncPostMedia cannot see, e.g. posts purged from the trash.
 */
export function markOrphanedMedia(db: Db, now: number): void {
  sql(
    db,
    `UPDATE media SET orphaned_since = NULL
     WHERE orphaned_since IS NOT NULL AND EXISTS (SELECT 1 FROM post_media pm WHERE pm.media_id = media.id)`,
  ).run();
  sql(
    db,
    `UPDATE media SET orphaned_since = ?
     WHERE orphaned_since IS NULL AND NOT EXISTS (SELECT 1 FROM post_media pm WHERE pm.media_id = media.id)`,
  ).run(now);
}

/** Pictures unused since `before` or earlier, oldest first, at most `limit`. */
export function listExpiredMedia(db: Db, before: number, limit: number): Media[] {
  return sql<[number, number], MediaRow>(db, `${MEDIA_SELECT} WHERE orphaned_since <= ? ORDER BY orphaned_since LIMIT ?`)
    .all(before, limit)
    .map((row) => toMedia(db, row)!);
}

/**
 * The posts whose HTML or history names any of these files, found by reading the HTML itself
 * rather than post_media: the last check before a file is deleted for good, so a post written
 * by some other path (an import, a restored backup) is never left with a broken image.
 */
export function postsNamingMediaFiles(db: Db, names: Set<string>): Set<number> {
  const found = new Set<number>();
  if (names.size === 0) return found;
  const rows = sql<[], { post_id: number; html: string }>(
    db,
    `SELECT id AS post_id, html FROM posts WHERE html LIKE '%/media/%'
     UNION ALL SELECT post_id, html FROM revisions WHERE html LIKE '%/media/%'`,
  );
  for (const { post_id, html } of rows.iterate()) {
    if (found.has(post_id)) continue;
    for (const name of mediaNamesIn(html)) {
      if (names.has(name)) {
        found.add(post_id);
        break;
      }
    }
  }
  return found;
}

/** Deletes a picture's rows if it is still unused since `before`; true if it was deleted. */
export function deleteExpiredMedia(db: Db, id: number, before: number): boolean {
  return sql(db, 'DELETE FROM media WHERE id = ? AND orphaned_since <= ?').run(id, before).changes === 1;
}

/** How many posts use a picture (for tests and the owner's information). */
export function countMediaUses(db: Db, mediaId: number): number {
  return (sql<[number], { n: number }>(db, 'SELECT count(*) AS n FROM post_media WHERE media_id = ?').get(mediaId) as { n: number }).n;
}

// ── The owner's setting ─────────────────────────────────────────────────────

const KEEP_ORIGINALS = 'keep_original_images';

/** Whether uploads also keep a full-size copy (off unless an owner turns it on). */
export function keepOriginalImages(db: Db): boolean {
  return sql<[string], { value: string }>(db, 'SELECT value FROM settings WHERE key = ?').get(KEEP_ORIGINALS)?.value === '1';
}

export function setKeepOriginalImages(db: Db, keep: boolean): void {
  sql(db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(KEEP_ORIGINALS, keep ? '1' : '0');
}

/**
 * Pictures on disk: DATA_DIR/media holds every file /media/ serves, named by its content hash,
 * and nothing else (so backups and exports take the folder whole). Files are written to a
 * scratch folder next to it, flushed, then renamed into place, so a reader or a backup never
 * sees half a file. Unused pictures are deleted 30 days after the last post stopped using them.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { sanitizeHtml, type Attributes } from './sanitize-html.js';
import type { Db } from '../db/database.js';
import {
  deleteExpiredMedia,
  getMedia,
  getMediaByFileName,
  keepOriginalImages,
  listExpiredMedia,
  MEDIA_NAME,
  markOrphanedMedia,
  postsNamingMediaFiles,
  recordMedia,
  syncPostMedia,
  touchMedia,
  type Media,
} from '../db/media.js';
import { DAY, HOUR } from './clock.js';
import { ImageError, processImage } from './images.js';
import { logError } from './log.js';

/** Under DATA_DIR: the served files, and the scratch folder for files being written (not backed up). */
export const MEDIA_DIR = 'media';
const PARTIAL_DIR = '.media-partial';

/** An unused picture is kept this long after the last post or revision stopped using it. */
export const MEDIA_RETENTION = 30 * DAY;

/**
 * How the picture is laid out on public pages: the post column is 40rem wide less 1rem padding
 * each side, and the whole viewport on phones. Lets browsers fetch the 800 px file where it is enough.
 */
export const IMAGE_SIZES = '(max-width: 40rem) 100vw, 38rem';

export interface MediaContext {
  db: Db;
  dataDir: string;
  now: number;
  /** Who uploaded it; null for imports with no account behind them. */
  userId: number | null;
}

/** What the editor inserts: <img src width height srcset sizes>. */
export interface StoredImage {
  media: Media;
  url: string;
  width: number;
  height: number;
  /** "/media/a.jpg 1600w, /media/b.jpg 800w", or null for a picture too small to need a second size. */
  srcset: string | null;
  sizes: string | null;
}

export function mediaDirectory(dataDir: string): string {
  return path.join(dataDir, MEDIA_DIR);
}

export function describeStoredImage(media: Media): StoredImage {
  const web = media.files.filter((file) => file.variant !== 'original');
  const large = web.find((file) => file.variant === 'large') ?? web[0]!;
  const srcset = web.length > 1 ? web.map((file) => `/media/${file.name} ${file.width}w`).join(', ') : null;
  return { media, url: `/media/${large.name}`, width: large.width, height: large.height, srcset, sizes: srcset ? IMAGE_SIZES : null };
}

/**
 * Processes an uploaded picture and stores its files and its row. All or nothing: a refused or
 * unreadable picture (ImageError) writes nothing, and a failure while storing removes what it wrote.
 */
export async function storeImage(context: MediaContext, bytes: Uint8Array): Promise<StoredImage> {
  const { db, dataDir } = context;
  const processed = await processImage(bytes, { keepOriginal: keepOriginalImages(db) });
  const finalDir = mediaDirectory(dataDir);
  const partialDir = path.join(dataDir, PARTIAL_DIR);
  mkdirSync(finalDir, { recursive: true, mode: 0o700 });
  mkdirSync(partialDir, { recursive: true, mode: 0o700 });

  const partials: string[] = [];
  try {
    for (const variant of processed.variants) {
      const partial = path.join(partialDir, `${randomUUID()}.partial`);
      partials.push(partial);
      const handle = await open(partial, 'wx', 0o644);
      try {
        await handle.writeFile(variant.data);
        // On disk before the rename makes it visible: a power cut never leaves an empty file under a real name.
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    await Promise.all(partials.map((file) => unlink(file).catch(() => {})));
    throw error;
  }

  // From here on everything is synchronous, like the clean-up job that deletes files: it cannot
  // run between a file appearing under its name and the row that keeps it alive.
  const created: string[] = [];
  try {
    // Re-encoding is deterministic and, for a picture that is already one of our files, often
    // exact: a reader who saves the 800 px version from the blog and pastes it into another post
    // uploads bytes we already serve under another picture's row. That picture is the answer
    // (its files cannot belong to two rows), and using it again restarts its 30-day clock.
    const existing = getMediaByFileName(db, processed.variants[0]!.name);
    if (existing && existing.contentHash !== processed.variants[0]!.hash) {
      for (const file of partials) removeQuietly(file);
      touchMedia(db, existing.id, context.now);
      return describeStoredImage(getMedia(db, existing.id)!);
    }
    processed.variants.forEach((variant, i) => {
      const target = path.join(finalDir, variant.name);
      if (!existsSync(target)) created.push(target);
      // Same name, same bytes: replacing an existing file changes nothing a reader could see.
      renameSync(partials[i]!, target);
    });
    const media = recordMedia(db, {
      contentHash: processed.variants[0]!.hash,
      mime: processed.mime,
      width: processed.width,
      height: processed.height,
      animated: processed.animated,
      sourceBytes: bytes.byteLength,
      createdBy: context.userId,
      now: context.now,
      files: processed.variants.map((v) => ({ name: v.name, variant: v.kind, width: v.width, height: v.height, bytes: v.data.byteLength })),
    });
    return describeStoredImage(media);
  } catch (error) {
    for (const file of [...partials, ...created]) removeQuietly(file);
    throw error;
  }
}

// "data:image/png;base64,AAAA" (or percent-encoded without ;base64). Parameters such as
// ";charset=…" or ";name=…" are allowed before ;base64.
const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*?)(;base64)?,(.*)$/is;

/** The bytes of a data: URL, or null if it is not one. */
export function decodeDataUrl(url: string): Uint8Array | null {
  const match = DATA_URL.exec(url.trim());
  if (!match) return null;
  const payload = match[4]!;
  try {
    return match[3] ? Buffer.from(payload.replace(/\s+/g, ''), 'base64') : Buffer.from(decodeURIComponent(payload), 'latin1');
  } catch {
    return null;
  }
}

export interface ExtractResult {
  html: string;
  /** Images turned into files under /media/. */
  stored: number;
  /** data: images that were not usable pictures (refused, damaged, too large); removed from the HTML. */
  dropped: number;
}

/** More embedded images than this in one document are dropped rather than processed (each costs real CPU). */
const MAX_DATA_IMAGES = 50;

/**
 * Turns every <img src="data:…"> in some HTML into a stored picture with a normal /media/ URL,
 * width, height and srcset; images that cannot be used are removed. For anything that arrives
 * with embedded images: an editor save that still carries one, or an import. Run it before
 * sanitizePostHtml (which drops every data: URL). Alt text and other attributes are kept.
 */
export async function extractDataImages(html: string, context: MediaContext): Promise<ExtractResult> {
  if (!/data:/i.test(html)) return { html, stored: 0, dropped: 0 };
  const found: string[] = [];
  sanitizeHtml(html, {
    allowedTags: false,
    allowedAttributes: false,
    allowVulnerableTags: true,
    parser: { decodeEntities: true },
    onOpenTag: (name, attribs) => {
      if (name === 'img' && /^\s*data:/i.test(attribs.src ?? '')) found.push(attribs.src!);
    },
  });
  if (found.length === 0) return { html, stored: 0, dropped: 0 };

  const replacements = new Map<string, StoredImage | null>();
  for (const src of found) {
    if (replacements.has(src)) continue;
    const bytes = replacements.size < MAX_DATA_IMAGES ? decodeDataUrl(src) : null;
    if (!bytes) {
      replacements.set(src, null);
      continue;
    }
    try {
      replacements.set(src, await storeImage(context, bytes));
    } catch (error) {
      if (!(error instanceof ImageError)) logError(error, { path: 'extractDataImages' });
      replacements.set(src, null);
    }
  }

  let stored = 0;
  let dropped = 0;
  const output = sanitizeHtml(html, {
    allowedTags: false,
    allowedAttributes: false,
    allowVulnerableTags: true,
    parser: { decodeEntities: true },
    transformTags: {
      img: (tagName, attribs) => {
        const src = attribs.src ?? '';
        if (!replacements.has(src)) return { tagName, attribs };
        const image = replacements.get(src);
        if (!image) {
          dropped += 1;
          return { tagName, attribs: {} };
        }
        stored += 1;
        const kept: Attributes = { ...attribs, src: image.url, width: String(image.width), height: String(image.height) };
        delete kept.srcset;
        delete kept.sizes;
        if (image.srcset) kept.srcset = image.srcset;
        if (image.sizes) kept.sizes = image.sizes;
        return { tagName, attribs: kept };
      },
    },
    // An image whose data could not be used goes entirely (it had no other source).
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  });
  return { html: output, stored, dropped };
}

/** "/media/<name>" or "<publicOrigin>/media/<name>" → name; anything else → null. */
function mediaFileNameOf(src: string | undefined, publicOrigin: string): string | null {
  const value = src?.trim() ?? '';
  const path = value.startsWith(`${publicOrigin}/`) ? value.slice(publicOrigin.length) : value;
  const name = path.startsWith('/media/') ? path.slice('/media/'.length) : null;
  return name !== null && MEDIA_NAME.test(name) ? name : null;
}

/**
 * Every <img> showing one of our pictures gets the picture's own src (its large version),
 * width, height, srcset and sizes, from the database rather than from what the browser sent:
 * the editor (Quill) keeps only src, alt, width and height, and an image pasted from a public
 * page may name its 800 px file. With width and height always set, pages do not jump while
 * images load. Run before sanitizePostHtml, which still judges every value.
 */
export function completeMediaImages(db: Db, html: string, publicOrigin: string): string {
  if (!html.includes('/media/')) return html;
  return sanitizeHtml(html, {
    allowedTags: false,
    allowedAttributes: false,
    allowVulnerableTags: true,
    parser: { decodeEntities: true },
    transformTags: {
      img: (tagName, attribs) => {
        const name = mediaFileNameOf(attribs.src, publicOrigin);
        const media = name === null ? null : getMediaByFileName(db, name);
        if (!media) return { tagName, attribs };
        const image = describeStoredImage(media);
        const kept: Attributes = { ...attribs, src: image.url, width: String(image.width), height: String(image.height) };
        // No description given: mark it as decoration, or screen readers read out the file name.
        kept.alt ??= '';
        delete kept.srcset;
        delete kept.sizes;
        if (image.srcset) kept.srcset = image.srcset;
        if (image.sizes) kept.sizes = image.sizes;
        return { tagName, attribs: kept };
      },
    },
  });
}

/**
 * What a save does to post HTML before the sanitizer: embedded (data:) images become files,
 * and every image of ours gets its full set of attributes. See extractDataImages and
 * completeMediaImages.
 */
export async function prepareImages(html: string, context: MediaContext & { publicOrigin: string }): Promise<ExtractResult> {
  const extracted = await extractDataImages(html, context);
  return { ...extracted, html: completeMediaImages(context.db, extracted.html, context.publicOrigin) };
}

/** A srcset ("a.jpg 1600w, b.jpg 800w") with each candidate's URL passed through `map`. */
export function mapSrcset(srcset: string, map: (url: string) => string): string {
  return srcset
    .split(',')
    .map((candidate) => {
      const [url = '', ...descriptor] = candidate.trim().split(/\s+/);
      return [map(url), ...descriptor].join(' ');
    })
    .join(', ');
}

/**
 * Sanitized post HTML with our images' URLs (src and srcset) on the blog's public address, for
 * public pages: the same HTML then works when it is copied, cached or read elsewhere. Links
 * and everything else are left as they are.
 */
export function absoluteImageUrls(html: string, publicUrl: string): string {
  if (!html.includes('"/media/')) return html;
  const absolute = (url: string) => (url.startsWith('/media/') ? `${publicUrl}${url}` : url);
  return sanitizeHtml(html, {
    allowedTags: false,
    allowedAttributes: false,
    allowVulnerableTags: true,
    parser: { decodeEntities: true },
    transformTags: {
      img: (tagName, attribs) => {
        const out = { ...attribs };
        if (out.src) out.src = absolute(out.src);
        if (out.srcset) out.srcset = mapSrcset(out.srcset, absolute);
        return { tagName, attribs: out };
      },
    },
  });
}

/**
 * For imports: every string in a JSON document that holds HTML with embedded (data:) images
 * gets them turned into files, as extractDataImages does, and the document comes back as
 * JSON text. Format-agnostic on purpose, so an importer can call it on the file as it arrived,
 * before its own (synchronous) import transaction: e.g.
 * `importGhost(db, (await extractDataImagesInJson(text, context)).json, options)`.
 * Text that is not JSON comes back unchanged, for the importer to refuse in its own words.
 */
export async function extractDataImagesInJson(
  input: string | Uint8Array,
  context: MediaContext,
): Promise<{ json: string; stored: number; dropped: number }> {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  if (!/<img[^>]+data:/i.test(text)) return { json: text, stored: 0, dropped: 0 };
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return { json: text, stored: 0, dropped: 0 };
  }
  let stored = 0;
  let dropped = 0;
  const visit = async (value: unknown): Promise<unknown> => {
    if (typeof value === 'string') {
      if (!/<img[^>]+data:/i.test(value)) return value;
      const result = await extractDataImages(value, context);
      stored += result.stored;
      dropped += result.dropped;
      return result.html;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = await visit(value[i]);
      return value;
    }
    if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) record[key] = await visit(record[key]);
      return record;
    }
    return value;
  };
  const json = JSON.stringify(await visit(document));
  return { json, stored, dropped };
}

export interface CleanUpResult {
  deleted: number;
  kept: number;
}

/**
 * The background job: pictures no post or revision has used for 30 days are deleted, files and
 * rows. Before deleting, the HTML of every post and revision is read once more for the files'
 * names; a picture still named anywhere is kept and its references repaired. Scratch files left
 * by an interrupted upload go after an hour. Synchronous on purpose (see storeImage).
 */
export function cleanUpMedia(db: Db, dataDir: string, now: number, batch = 100): CleanUpResult {
  markOrphanedMedia(db, now);
  const before = now - MEDIA_RETENTION;
  const expired = listExpiredMedia(db, before, batch);
  let deleted = 0;
  let kept = 0;
  if (expired.length > 0) {
    const names = new Set(expired.flatMap((media) => media.files.map((file) => file.name)));
    for (const postId of postsNamingMediaFiles(db, names)) syncPostMedia(db, postId, now);
    const dir = mediaDirectory(dataDir);
    for (const media of expired) {
      if (!deleteExpiredMedia(db, media.id, before)) {
        kept += 1;
        continue;
      }
      deleted += 1;
      for (const file of media.files) removeQuietly(path.join(dir, file.name));
    }
  }
  removeStalePartials(path.join(dataDir, PARTIAL_DIR));
  return { deleted, kept };
}

function removeStalePartials(dir: string): void {
  // File times are the wall clock's, so their age is judged by it too (not by the injected clock).
  const now = Date.now();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      if (now - statSync(file).mtimeMs > HOUR) unlinkSync(file);
    } catch {
      /* gone already */
    }
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logError(error, { path: `removing ${file}` });
  }
}

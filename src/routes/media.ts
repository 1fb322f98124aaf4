/**
 * Pictures in posts: writers upload them (POST /api/media, from the editor), everyone reads them
 * (GET /media/<hash>.<ext>). The processing and the files are src/lib/media-store.ts's.
 */
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../context.js';
import { MEDIA_NAME } from '../db/media.js';
import { ImageError, MAX_UPLOAD_BYTES, mimeOfName, TOO_LARGE_MESSAGE } from '../lib/images.js';
import { mediaDirectory, storeImage } from '../lib/media-store.js';
import { requireUser } from './guards.js';

// The picture itself may be 15 MB; a multipart body adds its boundaries and headers around it.
const UPLOAD_BODY_LIMIT = MAX_UPLOAD_BYTES + 64 * 1024;

// A file's name is the hash of its bytes, so what an address shows never changes: cache for a year.
const IMMUTABLE = 'public, max-age=31536000, immutable';

function refused(c: Context<AppEnv>, error: ImageError) {
  return c.json({ error: error.code, message: error.message }, error.status);
}

/** The uploaded bytes: the raw body (what the editor sends), or the "file" field of a multipart form. */
async function readUpload(c: Context<AppEnv>): Promise<Uint8Array | null> {
  const type = c.req.header('content-type') ?? '';
  if (/^multipart\/form-data/i.test(type)) {
    const form = await c.req.parseBody();
    const file = form.file;
    return file instanceof File ? new Uint8Array(await file.arrayBuffer()) : null;
  }
  return new Uint8Array(await c.req.arrayBuffer());
}

export function mediaRoutes() {
  const app = new Hono<AppEnv>();

  // ── Upload (signed-in writers; CSRF is checked for every POST in app.ts) ──
  app.post(
    '/api/media',
    requireUser,
    // app.ts skips its 1 MB limit for this path; this one applies while the body streams in,
    // so a 2 GB upload is cut off at 15 MB rather than read into memory.
    bodyLimit({
      maxSize: UPLOAD_BODY_LIMIT,
      onError: (c) => c.json({ error: 'too-large', message: TOO_LARGE_MESSAGE }, 413),
    }),
    async (c) => {
      const { db, config, clock } = c.var.deps;
      let bytes: Uint8Array | null;
      try {
        bytes = await readUpload(c);
      } catch {
        return c.json({ error: 'bad-request', message: 'The upload could not be read. Choose the picture again. Nothing was saved.' }, 400);
      }
      if (bytes === null) {
        return c.json({ error: 'bad-request', message: 'The upload had no file in it. Choose the picture again. Nothing was saved.' }, 400);
      }
      try {
        const image = await storeImage({ db, dataDir: config.dataDir, now: clock.now(), userId: c.var.user!.id }, bytes);
        return c.json(
          {
            url: image.url,
            absoluteUrl: `${config.publicUrl}${image.url}`,
            width: image.width,
            height: image.height,
            srcset: image.srcset,
            sizes: image.sizes,
          },
          201,
        );
      } catch (error) {
        if (error instanceof ImageError) return refused(c, error);
        throw error;
      }
    },
  );

  // ── Serving ────────────────────────────────────────────────────────────────
  app.get('/media/:name', async (c) => {
    const name = c.req.param('name');
    // Only names Quire gives files ("<32 hex>.<ext>"): no dots, slashes or encodings to traverse
    // with, and never a file of any other kind, even one someone put in the folder by hand.
    const type = MEDIA_NAME.test(name) ? mimeOfName(name) : null;
    if (type === null) return c.notFound();
    let handle: FileHandle;
    let size: number;
    try {
      // Opened first, then measured: a file removed in between is either served whole or a 404.
      handle = await open(path.join(mediaDirectory(c.var.deps.config.dataDir), name), 'r');
    } catch {
      return c.notFound();
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      await handle.close();
      return c.notFound();
    }
    const etag = `"${name}"`;
    c.header('Cache-Control', IMMUTABLE);
    c.header('ETag', etag);
    // Served as exactly what it is; never sniffed into anything a browser would run.
    c.header('Content-Type', type);
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.req.header('if-none-match') === etag || c.req.method === 'HEAD') {
      await handle.close();
      if (c.req.method === 'HEAD') c.header('Content-Length', String(size));
      return c.body(null, c.req.method === 'HEAD' ? 200 : 304);
    }
    c.header('Content-Length', String(size));
    // The stream closes the handle when it ends or the reader goes away.
    return c.body(Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array<ArrayBuffer>>, 200);
  });

  return app;
}

// Every POST route has a body size limit: 1 MB for forms and JSON, 15 MB (and its multipart
// framing) for pictures, 50 MB for a Ghost export. An oversized body is refused with 413 (or, for
// a signed-out visitor on an upload route, turned away before its body is read), whether it
// declares its length or streams it in chunks, and nothing is stored.
import { describe, expect, it } from 'vitest';
import { MAX_IMPORT_BYTES } from '../../src/import/ghost.js';
import { MAX_UPLOAD_BYTES } from '../../src/lib/images.js';
import { makeApp } from '../helpers.js';
import { browserFor, fillPath, fingerprint, makeWorld, routesOf, type World } from './kit.js';

const MB = 1024 * 1024;
const MULTIPART_ROOM = 64 * 1024;

/** The most each route accepts, as app.ts and the upload routes set it. */
function limitOf(pattern: string): number {
  if (pattern === '/api/media') return MAX_UPLOAD_BYTES + MULTIPART_ROOM;
  if (pattern === '/settings/import') return MAX_IMPORT_BYTES + MULTIPART_ROOM;
  return MB;
}

/** `size` bytes of a form field, made 64 KB at a time as they are sent, never held whole. */
function streamOf(size: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  chunk.set(new TextEncoder().encode('about='));
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
      sent += piece.length;
      controller.enqueue(new Uint8Array(piece));
    },
  });
}

async function post(world: World, signedIn: boolean, pattern: string, size: number, declareLength: boolean) {
  const client = browserFor(world, signedIn ? world.owner : null, pattern)!;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (declareLength) headers['content-length'] = String(size);
  const pathname = fillPath(world, pattern, null);
  const before = fingerprint(world.ctx);
  const response = await client.request(pathname, { method: 'POST', body: streamOf(size), headers, duplex: 'half' } as RequestInit & { headers: Record<string, string> });
  await response.body?.cancel();
  return { status: response.status, location: response.headers.get('location'), changed: fingerprint(world.ctx) !== before };
}

const routes = routesOf(makeApp().app, 'POST');

describe('body size limits', () => {
  it('covers every POST route of the app', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes).toEqual(expect.arrayContaining(['/api/media', '/settings/import', '/api/posts/:id{[0-9]+}', '/login']));
  });

  it('refuses a body one byte over the limit on every POST route, declared or streamed, and stores nothing', async () => {
    const world = await makeWorld();
    const answers: string[] = [];
    for (const pattern of routes) {
      const size = limitOf(pattern) + 1;
      for (const declareLength of [true, false]) {
        const signedIn = await post(world, true, pattern, size, declareLength);
        expect(signedIn.status, `POST ${pattern}, ${size} bytes, signed in, ${declareLength ? 'with' : 'without'} Content-Length`).toBe(413);
        expect(signedIn.changed, `POST ${pattern} stored something from an oversized body`).toBe(false);

        const signedOut = await post(world, false, pattern, size, declareLength);
        // Uploads check who is asking before reading anything: a stranger's body is never read at all.
        const turnedAway =
          signedOut.status === 413 ||
          (pattern === '/api/media' && signedOut.status === 401) ||
          (pattern === '/settings/import' && signedOut.status === 303 && signedOut.location?.startsWith('/login?'));
        expect(turnedAway, `POST ${pattern}, signed out: ${signedOut.status} ${signedOut.location ?? ''}`).toBe(true);
        expect(signedOut.changed).toBe(false);
        answers.push(`${pattern} ${signedIn.status}/${signedOut.status}`);
      }
    }
    expect(answers).toHaveLength(routes.length * 2);
  });

  it('accepts a form just under 1 MB on the ordinary routes (the limit is where it says)', async () => {
    const world = await makeWorld();
    for (const pattern of routes.filter((p) => limitOf(p) === MB)) {
      const answer = await post(world, true, pattern, MB - 1024, true);
      expect(answer.status, `POST ${pattern} with just under 1 MB`).not.toBe(413);
      expect(answer.status).toBeLessThan(500);
    }
  });
});

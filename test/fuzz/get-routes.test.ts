// Property-based fuzzing of every GET route: odd path segments (encoded, traversal, huge, any
// script), odd query strings and odd headers, signed in and signed out. Never a 500, and reading
// never changes data.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeApp } from '../helpers.js';
import { FUZZ_RUNS, FUZZ_SEED, FUZZ_TIMEOUT, browserFor, fingerprint, makeWorld, routesOf } from './kit.js';

const segment = fc.oneof(
  fc.webSegment(),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
  fc.constantFrom('..', '%2e%2e', '%2e%2e%2f..', '..%2f..%2fquire.db', '%00', '%ff%fe', '%c0%ae%c0%ae', 'a'.repeat(2000), '1', '0', '-1', '2026', '99999'),
);
const query = fc.dictionary(
  fc.constantFrom('page', 'q', 'next', 'done', 'revoked', 'promoted', 'saved', 'signed_out', 'recovered', 'recovery_code', 'x'),
  fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('1', '0', '-1', '2.5', '999999', '1e9', '//evil.example', '%00', '"*', 'a'.repeat(500))),
  { maxKeys: 4 },
);
const headers = fc.record(
  {
    'if-none-match': fc.oneof(fc.string({ maxLength: 40 }), fc.constant('*')),
    'if-modified-since': fc.oneof(fc.string({ maxLength: 40 }), fc.date({ noInvalidDate: true }).map((d) => d.toUTCString())),
    'user-agent': fc.string({ maxLength: 200 }),
    accept: fc.constantFrom('*/*', 'application/json', 'text/html', ''),
  },
  { requiredKeys: [] },
);

const routes = routesOf(makeApp().app, 'GET');

describe('fuzzing the GET routes', () => {
  it('finds the routes in the app', () => {
    expect(routes).toEqual(expect.arrayContaining(['/', '/posts/:slug', '/search', '/feed.xml', '/static/*', '/media/:name', '/write/:id{[0-9]+}', '/account']));
  });

  it('answers odd paths, queries and headers without a 500, and reading changes nothing', async () => {
    const world = await makeWorld();
    const { ctx } = world;
    // Something to read: the draft published, with a tag.
    const owner = browserFor(world, world.owner, '/write')!;
    expect((await owner.post(`/write/${world.postId}/publish`)).status).toBe(303);
    for (const signedIn of [false, true]) {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), fc.array(segment, { minLength: 1, maxLength: 3 }), query, headers, async (pattern, segments, params, extra) => {
          let next = 0;
          const filled = pattern
            .replace(/:id\{\[0-9\]\+\}/g, () => String(world.postId))
            .replace(/:rid\{\[0-9\]\+\}/g, () => String(world.revisionId))
            .replace(/:year\{[^}]*\}/g, () => '2026')
            .replace(/:[a-z]+/g, () => segments[next++ % segments.length]!)
            .replace('*', segments.join('/'));
          const search = new URLSearchParams(params).toString();
          const client = browserFor(world, signedIn ? world.owner : null, pattern)!;
          const before = fingerprint(ctx);
          const response = await client.request(filled + (search ? `?${search}` : ''), { headers: extra as Record<string, string> });
          const body = await response.text();
          expect(response.status, `GET ${filled}?${search}`).toBeLessThan(500);
          expect(body).not.toMatch(/\bat .+\.(ts|js):\d+|SqliteError|SQLITE_/);
          expect(fingerprint(ctx), `GET ${filled} changed data`).toBe(before);
        }),
        { seed: FUZZ_SEED + (signedIn ? 7 : 8), numRuns: FUZZ_RUNS * 5, endOnFailure: true },
      );
    }
  }, FUZZ_TIMEOUT * 3);
});

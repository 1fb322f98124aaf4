// Property-based fuzzing of the writing, members, settings and media POST routes: random and
// malformed bodies, huge fields, invalid UTF-8, wrong content types and missing fields, signed in
// (owner and writer) and signed out. Never a 500, nothing changed by a refused request.
import { describe, expect, it } from 'vitest';
import { makeApp } from '../helpers.js';
import { FUZZ_TIMEOUT, fuzzPostRoute, isAccountRoute, routesOf } from './kit.js';

// The route table is the same for every app: read it from one.
const routes = routesOf(makeApp().app, 'POST').filter((pattern) => !isAccountRoute(pattern));

describe('fuzzing the content POST routes', () => {
  it('finds the routes in the app', () => {
    expect(routes).toEqual(expect.arrayContaining(['/write/new', '/api/posts/:id{[0-9]+}', '/members/invites', '/settings', '/api/media']));
  });

  for (const pattern of routes) {
    it(`POST ${pattern} answers every body without a 500 and refuses without changing data`, async () => {
      await fuzzPostRoute(pattern);
    }, FUZZ_TIMEOUT);
  }
});

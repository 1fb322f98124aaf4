// Property-based fuzzing of the sign-in and account routes: random and malformed bodies, huge
// fields, invalid UTF-8, wrong content types and missing fields, signed in and signed out.
// Never a 500, nothing changed by a refused request. Seeded and bounded (FUZZ_SEED, FUZZ_RUNS).
import { describe, expect, it } from 'vitest';
import { makeApp } from '../helpers.js';
import { FUZZ_RUNS, FUZZ_TIMEOUT, fuzzPostRoute, isAccountRoute, routesOf } from './kit.js';

// Each run of these hashes a new password with argon2 whatever the body says: fewer runs.
const SLOW = new Set(['/recover/:token', '/account/password']);

// The route table is the same for every app: read it from one.
const routes = routesOf(makeApp().app, 'POST').filter(isAccountRoute);

describe('fuzzing the account and sign-in POST routes', () => {
  it('finds the routes in the app', () => {
    expect(routes).toEqual(expect.arrayContaining(['/login', '/logout', '/invite/:token', '/recover/:token', '/account/confirm', '/account/delete']));
  });

  for (const pattern of routes) {
    it(`POST ${pattern} answers every body without a 500 and refuses without changing data`, async () => {
      await fuzzPostRoute(pattern, SLOW.has(pattern) ? Math.min(FUZZ_RUNS, 8) : FUZZ_RUNS);
    }, FUZZ_TIMEOUT);
  }
});

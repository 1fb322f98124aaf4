import { describe, expect, it } from 'vitest';
import { createInvite } from '../../src/auth/invites.js';
import { SESSION_IDLE_LIMIT } from '../../src/auth/session.js';
import { getUserByUsername } from '../../src/db/users.js';
import { DAY, HOUR } from '../../src/lib/clock.js';
import { Client, enrol, inputValue, makeApp } from '../helpers.js';

describe('invites and enrolment', () => {
  it('creates an account with generated credentials and signs the writer in', async () => {
    const ctx = makeApp();
    const invite = createInvite(ctx.db, ctx.config.publicUrl, 'writer', null, ctx.clock.now());
    const client = new Client(ctx.app, ctx.config.origin);

    const form = await client.get(`/invite/${invite.token}`);
    expect(form.status).toBe(200);
    expect(form.headers.get('referrer-policy')).toBe('no-referrer');
    const formHtml = await form.text();
    expect(formHtml).toContain('name="display_name"');
    expect(formHtml).not.toContain('name="password"');

    const response = await client.post(`/invite/${invite.token}`, { display_name: '  Grace   Hopper ' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    const username = inputValue(html, 'username')!;
    const password = inputValue(html, 'password')!;
    expect(username).toMatch(/^[a-z]+-[a-z]+-\d{4}$/);
    expect(password).toMatch(/^[A-Za-z2-9]{6}(-[A-Za-z2-9]{6}){3}$/);
    expect(html).toContain('autocomplete="username"');
    expect(html).toContain('autocomplete="new-password"');

    const user = getUserByUsername(ctx.db, username)!;
    expect(user.displayName).toBe('Grace Hopper');
    expect(user.role).toBe('writer');
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.passwordHash).not.toContain(password);

    // Signed in straight away.
    expect((await client.get('/write')).status).toBe(200);
  });

  it('keeps the name and names the problem when the form is wrong', async () => {
    const ctx = makeApp();
    const invite = createInvite(ctx.db, ctx.config.publicUrl, 'writer', null, ctx.clock.now());
    const response = await ctx.client.post(`/invite/${invite.token}`, { display_name: 'x'.repeat(81) });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('keep it to 80');
    expect(html).toContain(`value="${'x'.repeat(81)}"`);
    // The invite is still usable after a rejected attempt.
    expect((await ctx.client.post(`/invite/${invite.token}`, { display_name: 'Ok Name' })).status).toBe(200);
  });

  it('works once only, and not after expiry or revocation', async () => {
    const ctx = makeApp();
    const once = createInvite(ctx.db, ctx.config.publicUrl, 'writer', null, ctx.clock.now());
    expect((await new Client(ctx.app, ctx.config.origin).post(`/invite/${once.token}`, { display_name: 'A' })).status).toBe(200);
    expect((await new Client(ctx.app, ctx.config.origin).post(`/invite/${once.token}`, { display_name: 'B' })).status).toBe(410);

    const expiring = createInvite(ctx.db, ctx.config.publicUrl, 'writer', null, ctx.clock.now());
    ctx.clock.advance(72 * HOUR);
    expect((await ctx.client.get(`/invite/${expiring.token}`)).status).toBe(410);

    const revoked = createInvite(ctx.db, ctx.config.publicUrl, 'writer', null, ctx.clock.now());
    ctx.db.prepare('UPDATE invites SET revoked_at = ? WHERE id = ?').run(ctx.clock.now(), revoked.id);
    expect((await ctx.client.get(`/invite/${revoked.token}`)).status).toBe(410);
    expect((await ctx.client.get('/invite/not-a-token')).status).toBe(410);
  });

  it('lets exactly one of two simultaneous enrolments through', async () => {
    const ctx = makeApp();
    const invite = createInvite(ctx.db, ctx.config.publicUrl, 'writer', null, ctx.clock.now());
    const [a, b] = await Promise.all([
      new Client(ctx.app, ctx.config.origin).post(`/invite/${invite.token}`, { display_name: 'A' }),
      new Client(ctx.app, ctx.config.origin).post(`/invite/${invite.token}`, { display_name: 'B' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 410]);
    expect(ctx.db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(1);
  });

  it('stores only the hash of invite tokens', async () => {
    const ctx = makeApp();
    const invite = createInvite(ctx.db, ctx.config.publicUrl, 'writer', null, ctx.clock.now());
    const stored = ctx.db.prepare('SELECT token_hash FROM invites').pluck().get() as Buffer;
    expect(stored.length).toBe(32);
    expect(stored.toString('base64url')).not.toBe(invite.token);
    expect(Buffer.from(invite.token, 'base64url').length * 8).toBe(160);
  });
});

describe('sign-in and sessions', () => {
  it('signs in with the generated credentials and out again', async () => {
    const ctx = makeApp();
    const { username, password } = await enrol(ctx);
    const client = new Client(ctx.app, ctx.config.origin);
    expect((await client.get('/write')).status).toBe(303);

    const response = await client.post('/login', { username, password });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/write');
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('quire_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Max-Age=2592000/);
    expect((await client.get('/write')).status).toBe(200);

    const token = client.cookies.get('quire_session')!;
    expect(token.length).toBeGreaterThanOrEqual(43);
    const out = await client.post('/logout');
    expect(out.headers.get('location')).toBe('/login?signed_out=1');
    const after = await (await client.get('/login?signed_out=1')).text();
    expect(after).toContain('You are signed out.');
    expect(after).toContain('data-signed-out="true"');
    expect((await client.get('/write')).status).toBe(303);
    // The old cookie is dead on the server too.
    const replay = new Client(ctx.app, ctx.config.origin);
    replay.cookies.set('quire_session', token);
    expect((await replay.get('/write')).status).toBe(303);
  });

  it('issues a new session token at every sign-in and stores only its hash', async () => {
    const ctx = makeApp();
    const { username, password } = await enrol(ctx);
    const a = new Client(ctx.app, ctx.config.origin);
    const b = new Client(ctx.app, ctx.config.origin);
    await a.post('/login', { username, password });
    await b.post('/login', { username, password });
    const ta = a.cookies.get('quire_session')!;
    expect(ta).not.toBe(b.cookies.get('quire_session'));
    const hashes = ctx.db.prepare('SELECT token_hash FROM sessions').pluck().all() as Buffer[];
    expect(hashes.every((h) => h.length === 32 && h.toString('base64url') !== ta)).toBe(true);
  });

  it('answers an unknown username exactly like a wrong password', async () => {
    const ctx = makeApp();
    const { username } = await enrol(ctx);
    const wrong = await new Client(ctx.app, ctx.config.origin).post('/login', { username, password: 'nope' });
    const unknown = await new Client(ctx.app, ctx.config.origin).post('/login', { username: 'nobody-here-1234', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const text = (html: string) => html.replace(/value="[^"]*"/g, '');
    expect(text(await wrong.text())).toBe(text(await unknown.text()));
  });

  it('keeps the username and names the problem on a bad form', async () => {
    const ctx = makeApp();
    const response = await ctx.client.post('/login', { username: 'someone-here-1111' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('value="someone-here-1111"');
    expect(html).toContain('Enter both your username and your password');
  });

  it('ends a session after 7 idle days, and slides while used', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx);
    for (let i = 0; i < 5; i++) {
      ctx.clock.advance(6 * DAY);
      expect((await client.get('/write')).status).toBe(200);
    }
    ctx.clock.advance(SESSION_IDLE_LIMIT);
    expect((await client.get('/write')).status).toBe(303);
  });

  it('follows ?next= only to local paths', async () => {
    const ctx = makeApp();
    const { username, password } = await enrol(ctx);
    for (const [next, expected] of [
      ['/members', '/members'],
      ['//evil.example/x', '/write'],
      ['https://evil.example/', '/write'],
      ['/\\evil.example', '/write'],
      ['javascript:alert(1)', '/write'],
    ]) {
      const client = new Client(ctx.app, ctx.config.origin);
      const response = await client.post('/login', { username, password, next: next! });
      expect(response.headers.get('location'), next).toBe(expected);
    }
  });

  it('uses a __Host- Secure cookie when PUBLIC_URL is https', async () => {
    const ctx = makeApp({ PUBLIC_URL: 'https://blog.example.org' });
    const invite = createInvite(ctx.db, ctx.config.publicUrl, 'owner', null, ctx.clock.now());
    const response = await ctx.client.post(`/invite/${invite.token}`, { display_name: 'Owner' });
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('__Host-quire_session='))!;
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Domain/i);
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
  });
});

describe('throttling', () => {
  it('slows repeated failures on an account with 429 and Retry-After, without locking out a known browser', async () => {
    const ctx = makeApp();
    const { username, password } = await enrol(ctx);
    // The writer's usual browser signed in once before.
    const writer = new Client(ctx.app, ctx.config.origin);
    expect((await writer.post('/login', { username, password })).status).toBe(303);
    await writer.post('/logout');

    let throttled = 0;
    for (let i = 0; i < 30; i++) {
      ctx.clock.advance(7_000); // stay under the per-IP bucket to isolate the account delay
      const attacker = new Client(ctx.app, ctx.config.origin);
      const response = await attacker.post('/login', { username, password: `guess-${i}` });
      if (response.status === 429) {
        throttled++;
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await response.text()).toMatch(/wait .* and try again/);
      } else expect(response.status).toBe(401);
    }
    expect(throttled).toBeGreaterThan(15);
    // Even the right password from a new browser must wait its turn now…
    const stranger = await new Client(ctx.app, ctx.config.origin).post('/login', { username, password });
    expect(stranger.status).toBe(429);
    // …but the browser the writer always uses goes straight in.
    expect((await writer.post('/login', { username, password })).status).toBe(303);
  });

  it('limits sign-in attempts per address', async () => {
    const ctx = makeApp();
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const response = await ctx.client.post('/login', { username: `user-${i}-name-1234`, password: 'x' });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
  });
});

describe('CSRF and headers', () => {
  it('refuses a cross-origin POST with 403 and a readable page', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx);
    const response = await client.post('/members/invites', { role: 'owner' }, { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('did not come from a page of this blog');
    expect(ctx.db.prepare('SELECT count(*) FROM invites').pluck().get()).toBe(1);
    const json = await client.postJson('/members/invites', {}, { origin: 'https://evil.example' });
    expect(json.status).toBe(403);
    const noOrigin = await client.request('/members/invites', {
      method: 'POST',
      body: 'role=owner',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' },
    });
    expect(noOrigin.status).toBe(403);
  });

  it('sends security headers on every response', async () => {
    const ctx = makeApp();
    for (const path of ['/', '/login', '/nowhere', '/healthz']) {
      const response = await ctx.client.get(path);
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBeTruthy();
      expect(response.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('shows a friendly 404 and turns malformed bodies into a 400 page, never a 500', async () => {
    const ctx = makeApp();
    const notFound = await ctx.client.get('/no/such/page');
    expect(notFound.status).toBe(404);
    expect(await notFound.text()).toContain('Page not found');
    const broken = await ctx.client.request('/login', {
      method: 'POST',
      body: '--x\r\nbroken',
      headers: { 'content-type': 'multipart/form-data; boundary=zzz' },
    });
    expect(broken.status).toBe(400);
    const huge = await ctx.client.post('/login', { username: 'a'.repeat(2 * 1024 * 1024), password: 'x' });
    expect(huge.status).toBe(413);
  });
});

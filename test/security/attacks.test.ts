// Attacks, each one refused: password guessing against one account (throttled, while the real
// writer still gets in from their own browser), replayed second-factor codes, reused recovery
// codes, invites and recovery links, cross-origin requests, stolen session cookies after sign-out
// and password renewal, open redirects, path traversal and oversized uploads. Real argon2, real
// SQLite, real HTTP (app.request, and a listening server where URL parsing would hide the attack).
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { describe, expect, it } from 'vitest';
import { INVITE_LIFETIME } from '../../src/auth/invites.js';
import { RECOVERY_LINK_LIFETIME } from '../../src/auth/recovery-links.js';
import { getUserByUsername } from '../../src/db/users.js';
import { MINUTE } from '../../src/lib/clock.js';
import { MAX_UPLOAD_BYTES } from '../../src/lib/images.js';
import { codeAt, eventsOf, passwordStep, turnOnTotp } from '../auth/flows.js';
import { fingerprint } from '../fuzz/kit.js';
import { Client, enrol, makeApp } from '../helpers.js';

type Ctx = ReturnType<typeof makeApp>;

const SESSION = 'quire_session';
const LINK = /http:\/\/localhost:3000\/(?:invite|recover)\/[A-Za-z0-9_-]{27}/;

/** A browser at a given network address (the app trusts X-Forwarded-For, as behind its reverse proxy). */
function browserAt(ctx: Ctx, address: string): Client {
  const client = new Client(ctx.app, ctx.config.origin);
  const request = client.request.bind(client);
  client.request = (pathname: string, init: Parameters<Client['request']>[1] = {}) =>
    request(pathname, { ...init, headers: { 'x-forwarded-for': address, ...(init.headers as Record<string, string> | undefined) } });
  return client;
}

/** A sign-in step in a fresh browser, after a pause long enough for the per-address bucket to refill. */
async function freshPasswordStep(ctx: Ctx, username: string, password: string, form: Record<string, string> = {}) {
  ctx.clock.advance(10_000);
  return passwordStep(ctx, username, password, form);
}

function isLocalPath(location: string | null): boolean {
  if (!location) return false;
  const url = new URL(location, 'http://quire.test');
  return url.origin === 'http://quire.test' && location.startsWith('/') && !location.startsWith('//') && !location.startsWith('/\\');
}

describe('password guessing', () => {
  it('throttles 1,000 attempts on one account from many addresses, while the writer still signs in from their own browser', async () => {
    const ctx = makeApp({ TRUST_PROXY: 'true' });
    const { client: writerBrowser, username, password } = await enrol(ctx, 'writer', 'Wren Writer');
    const user = getUserByUsername(ctx.db, username)!;
    // The writer's browser has signed in before (at enrolment) and signs out for the night.
    expect(writerBrowser.cookies.has('quire_device')).toBe(true);
    expect((await writerBrowser.post('/logout')).status).toBe(303);
    const writerAt = (pathname: string, form: Record<string, string>) => writerBrowser.post(pathname, form, { 'x-forwarded-for': '192.0.2.10' });

    const counts = { checked: 0, throttled: 0, other: 0 };
    let writerSignedIn = false;
    for (let attempt = 0; attempt < 1000; attempt++) {
      // A botnet: every attempt from another address, one a second, for about 17 minutes.
      ctx.clock.advance(1000);
      const attacker = browserAt(ctx, `10.${(attempt >> 16) & 255}.${(attempt >> 8) & 255}.${attempt & 255}`);
      const response = await attacker.post('/login', { username, password: `guess-${attempt}` });
      if (response.status === 401) counts.checked++;
      else if (response.status === 429) {
        counts.throttled++;
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      } else counts.other++;

      if (attempt === 500) {
        // Mid-attack, the writer comes back: a typo first (their own browser's count, not the
        // attacker's), then the right password from the password manager.
        expect((await writerAt('/login', { username, password: 'typo' })).status).toBe(401);
        const signIn = await writerAt('/login', { username, password });
        expect(signIn.status).toBe(303);
        expect(signIn.headers.get('location')).toBe('/write');
        expect((await writerBrowser.get('/write')).status).toBe(200);
        writerSignedIn = true;
      }
    }
    expect(writerSignedIn).toBe(true);
    expect(counts.other).toBe(0);
    // Growing delays (4 free, then 1 s, 2 s, 4 s … 15 min): in ~17 minutes only a handful of
    // guesses ever reach the password check; every other attempt is turned away cheaply.
    expect(counts.checked).toBeGreaterThanOrEqual(5);
    expect(counts.checked).toBeLessThanOrEqual(20);
    expect(counts.throttled).toBe(1000 - counts.checked);
    // The writer is told a burst of wrong passwords happened.
    expect(eventsOf(ctx, user.id).map((e) => e.type)).toContain('sign-in-failures');

    // A browser the account never used is slowed down like the attacker, but never locked out:
    // after the wait it says, the right password works.
    const newLaptop = browserAt(ctx, '192.0.2.20');
    const slowed = await newLaptop.post('/login', { username, password });
    expect(slowed.status).toBe(429);
    const wait = Number(slowed.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(15 * 60);
    ctx.clock.advance(wait * 1000);
    const after = await newLaptop.post('/login', { username, password });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/write');
  });

  it('limits guesses from one address across many accounts (password spraying)', async () => {
    const ctx = makeApp({ TRUST_PROXY: 'true' });
    const attacker = browserAt(ctx, '203.0.113.7');
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      ctx.clock.advance(100);
      statuses.push((await attacker.post('/login', { username: `someone-${attempt}`, password: 'Winter2026!' })).status);
    }
    // 10 at once, then one every 6 s: 10 + 10 s / 6 s.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(12);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(88);
    // Someone else on another address is not affected.
    expect((await browserAt(ctx, '198.51.100.1').post('/login', { username: 'someone', password: 'x' })).status).toBe(401);
  });
});

describe('second factors', () => {
  it('refuses a replayed authenticator code, at sign-in and when confirming', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    const { secret } = await turnOnTotp(ctx, client);
    ctx.clock.advance(2 * MINUTE);
    const code = await codeAt(secret, ctx.clock.now());

    const first = await freshPasswordStep(ctx, username, password);
    expect(first.location).toBe('/login/verify');
    const accepted = await first.client.post('/login/verify', { code });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe('/write');

    // Someone who saw the code (over a shoulder, by a phishing page) and knows the password.
    const thief = await freshPasswordStep(ctx, username, password);
    expect(thief.location).toBe('/login/verify');
    const replay = await thief.client.post('/login/verify', { code });
    expect(replay.status).toBe(401);
    expect(await replay.text()).toContain('already used');
    // The code of the step before (still inside the drift window) is refused too.
    expect((await thief.client.post('/login/verify', { code: await codeAt(secret, ctx.clock.now() - 30_000) })).status).toBe(401);
    expect(thief.client.cookies.has(SESSION)).toBe(false);
    expect((await thief.client.get('/write')).status).toBe(303);

    // The same code cannot confirm a sensitive change in the signed-in browser either.
    ctx.clock.advance(11 * MINUTE);
    const confirm = await first.client.post('/account/confirm', { code, next: '/account' });
    expect(confirm.status).toBe(401);
    // The next code, once, works.
    ctx.clock.advance(30_000);
    const next = await codeAt(secret, ctx.clock.now());
    expect((await first.client.post('/account/confirm', { code: next, next: '/account' })).status).toBe(303);
    expect((await thief.client.post('/login/verify', { code: next })).status).toBe(401);
  });

  it('refuses a reused recovery code, however it is typed, and lets only one of two simultaneous uses through', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    const { codes } = await turnOnTotp(ctx, client);
    const [firstCode, secondCode] = codes as [string, string];

    const used = await freshPasswordStep(ctx, username, password);
    const accepted = await used.client.post('/login/verify/recovery', { recovery_code: firstCode });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe('/account?recovery_code=used');

    for (const typed of [firstCode, firstCode.toLowerCase(), firstCode.replace(/-/g, ' '), firstCode.replace(/-/g, '')]) {
      const again = await freshPasswordStep(ctx, username, password);
      const refused = await again.client.post('/login/verify/recovery', { recovery_code: typed });
      expect(refused.status, `reused as "${typed}"`).toBe(401);
      expect(again.client.cookies.has(SESSION)).toBe(false);
    }

    // Two browsers racing with the same code: the code is burnt by one atomic update.
    const a = await freshPasswordStep(ctx, username, password);
    const b = await freshPasswordStep(ctx, username, password);
    const race = await Promise.all([a.client, b.client].map((browser) => browser.post('/login/verify/recovery', { recovery_code: secondCode })));
    expect(race.map((r) => r.status).sort()).toEqual([303, 401]);

    // A used code cannot turn the authenticator off either.
    ctx.clock.advance(MINUTE);
    const signedIn = race[0]!.status === 303 ? a.client : b.client;
    expect((await signedIn.post('/account/totp/disable', { code: firstCode })).status).toBe(401);
  });
});

describe('invites and recovery links', () => {
  async function inviteFromMembersPage(owner: Client): Promise<{ path: string; id: number }> {
    const page = await owner.post('/members/invites', { role: 'writer' });
    expect(page.status).toBe(201);
    const html = await page.text();
    const path = new URL(html.match(LINK)![0]).pathname;
    const ids = [...html.matchAll(/action="\/members\/invites\/(\d+)\/revoke"/g)].map((m) => Number(m[1]));
    return { path, id: Math.max(...ids) };
  }

  it('refuses a used, expired or revoked invite, and a double redemption makes one account', async () => {
    const ctx = makeApp();
    const { client: owner } = await enrol(ctx, 'owner', 'Olive Owner');
    const users = () => ctx.db.prepare('SELECT count(*) FROM users').pluck().get() as number;

    const used = await inviteFromMembersPage(owner);
    expect((await new Client(ctx.app, ctx.config.origin).post(used.path, { display_name: 'Wren' })).status).toBe(200);
    const before = users();
    const second = new Client(ctx.app, ctx.config.origin);
    expect((await second.get(used.path)).status).toBe(410);
    expect((await second.post(used.path, { display_name: 'Mallory' })).status).toBe(410);
    expect(second.cookies.has(SESSION)).toBe(false);
    expect(users()).toBe(before);

    // Two browsers submitting the same fresh invite at once.
    const raced = await inviteFromMembersPage(owner);
    const race = await Promise.all(['Ana', 'Bea'].map((name) => new Client(ctx.app, ctx.config.origin).post(raced.path, { display_name: name })));
    expect(race.map((r) => r.status).sort()).toEqual([200, 410]);
    expect(users()).toBe(before + 1);

    const expiring = await inviteFromMembersPage(owner);
    const control = await inviteFromMembersPage(owner);
    ctx.clock.advance(INVITE_LIFETIME + 1);
    expect((await new Client(ctx.app, ctx.config.origin).get(expiring.path)).status).toBe(410);
    expect((await new Client(ctx.app, ctx.config.origin).post(expiring.path, { display_name: 'Late' })).status).toBe(410);
    expect((await new Client(ctx.app, ctx.config.origin).post(control.path, { display_name: 'Late too' })).status).toBe(410);

    const revoked = await inviteFromMembersPage(owner);
    expect((await owner.post(`/members/invites/${revoked.id}/revoke`)).status).toBe(303);
    expect((await new Client(ctx.app, ctx.config.origin).post(revoked.path, { display_name: 'Revoked' })).status).toBe(410);
    expect(users()).toBe(before + 1);
  });

  it('refuses a used, expired, superseded or revoked recovery link', async () => {
    const ctx = makeApp();
    const { client: owner, password: ownerPassword } = await enrol(ctx, 'owner', 'Olive Owner');
    const writer = await enrol(ctx, 'writer', 'Wren Writer');
    const writerId = getUserByUsername(ctx.db, writer.username)!.id;
    const issue = async () => {
      const page = await owner.post(`/members/${writerId}/recovery-link`);
      expect(page.status).toBe(201);
      return new URL((await page.text()).match(LINK)![0]).pathname;
    };
    const hashOf = () => ctx.db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(writerId);

    const used = await issue();
    expect((await new Client(ctx.app, ctx.config.origin).post(used)).status).toBe(200);
    const afterUse = hashOf();
    const again = new Client(ctx.app, ctx.config.origin);
    expect((await again.get(used)).status).toBe(410);
    expect((await again.post(used)).status).toBe(410);
    expect(again.cookies.has(SESSION)).toBe(false);
    expect(hashOf()).toBe(afterUse);

    const superseded = await issue();
    const current = await issue();
    expect((await new Client(ctx.app, ctx.config.origin).post(superseded)).status).toBe(410);
    ctx.clock.advance(RECOVERY_LINK_LIFETIME + 1);
    expect((await new Client(ctx.app, ctx.config.origin).post(current)).status).toBe(410);

    // A day on, the owner's sign-in is no longer recent: they confirm with their password first.
    expect((await owner.post(`/members/${writerId}/recovery-link`)).status).toBe(303);
    expect((await owner.post('/account/confirm', { password: ownerPassword, next: '/members' })).status).toBe(303);
    const revoked = await issue();
    const members = await (await owner.get('/members')).text();
    const revoke = members.match(/action="(\/members\/recovery-links\/\d+\/revoke)"/)![1]!;
    expect((await owner.post(revoke)).status).toBe(303);
    expect((await new Client(ctx.app, ctx.config.origin).post(revoked)).status).toBe(410);
    expect(hashOf()).toBe(afterUse);
  });
});

describe('cross-origin requests', () => {
  it('refuses state changes from other origins, whatever the body, and changes nothing', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    const created = await client.post('/write/new');
    const postId = Number(created.headers.get('location')!.split('/').pop());
    const cookie = `${SESSION}=${client.cookies.get(SESSION)}`;
    const hostile: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: 'http://localhost:3001' },
      { origin: 'https://localhost:3000' },
      { origin: 'http://localhost:3000.evil.example' },
      { origin: 'http://sub.localhost:3000', 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    const requests: { path: string; method?: string; type?: string; body: string }[] = [
      { path: '/write/new', body: '' },
      { path: `/api/posts/${postId}`, type: 'application/json', body: JSON.stringify({ baseRevision: 1, title: 'Defaced', html: '<p>pwned</p>' }) },
      // The "simple request" trick: JSON sent as text/plain needs no CORS preflight.
      { path: `/api/posts/${postId}`, type: 'text/plain', body: JSON.stringify({ baseRevision: 1, title: 'Defaced', html: '<p>pwned</p>' }) },
      { path: '/members/invites', body: 'role=owner' },
      { path: '/settings', body: 'title=Pwned&language=en' },
      { path: '/account/sessions/end-others', body: '' },
      { path: '/account/password', body: '' },
      { path: '/logout', body: '' },
      // Login CSRF: signing the victim into the attacker's account.
      { path: '/login', body: 'username=attacker&password=attacker-password' },
      { path: '/api/media', type: 'image/png', body: 'not really a picture' },
      { path: `/write/${postId}`, method: 'PUT', body: 'x' },
      { path: `/write/${postId}`, method: 'DELETE', body: '' },
    ];
    for (const headers of hostile) {
      for (const r of requests) {
        const before = fingerprint(ctx);
        const response = await ctx.app.request(`${ctx.config.origin}${r.path}`, {
          method: r.method ?? 'POST',
          body: r.body,
          headers: { cookie, 'content-type': r.type ?? 'application/x-www-form-urlencoded', ...headers },
        });
        expect(response.status, `${r.method ?? 'POST'} ${r.path} with ${JSON.stringify(headers)}`).toBe(403);
        expect(fingerprint(ctx), `${r.path} changed data`).toBe(before);
      }
    }
    // Still signed in, post untouched.
    expect((await client.get('/write')).status).toBe(200);
    expect(ctx.db.prepare('SELECT title FROM posts WHERE id = ?').pluck().get(postId)).toBe('');
  });
});

describe('stolen session cookies', () => {
  it('are worthless after signing out', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const stolen = client.cookies.get(SESSION)!;
    expect((await client.post('/logout')).status).toBe(303);
    const thief = new Client(ctx.app, ctx.config.origin);
    thief.cookies.set(SESSION, stolen);
    const page = await thief.get('/write');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fwrite');
    expect((await thief.postJson('/api/posts/1', { baseRevision: 1 })).status).toBe(401);
    expect(ctx.db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
  });

  it('are worthless after a password renewal (except in the browser that renewed it), and so is the old password', async () => {
    const ctx = makeApp();
    const { client: here, username, password } = await enrol(ctx, 'writer');
    const laptop = (await freshPasswordStep(ctx, username, password)).client;
    const stolen = new Client(ctx.app, ctx.config.origin);
    stolen.cookies.set(SESSION, laptop.cookies.get(SESSION)!);
    expect((await stolen.get('/write')).status).toBe(200);

    ctx.clock.advance(MINUTE);
    const renewed = await here.post('/account/password');
    expect(renewed.status).toBe(200);
    const newPassword = (await renewed.text()).match(/name="password"[^>]*value="([^"]+)"/)![1]!;
    expect(newPassword).not.toBe(password);

    expect((await stolen.get('/write')).status).toBe(303);
    expect((await laptop.get('/write')).status).toBe(303);
    expect((await here.get('/write')).status).toBe(200);
    expect((await freshPasswordStep(ctx, username, password)).response.status).toBe(401);
    expect((await freshPasswordStep(ctx, username, newPassword)).response.status).toBe(303);
  });
});

describe('open redirects through ?next=', () => {
  const PAYLOADS = [
    '//evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    'https://evil.com',
    'http:evil.com',
    '%2F%2Fevil.com',
    '/%2F%2Fevil.com',
    'javascript:alert(1)',
    '/\t/evil.com',
    '/\n/evil.com',
    '///evil.com',
    // Dot segments that collapse into "//" once the URL is normalised.
    '/.//evil.com',
    '/..//evil.com',
    '/%2e//evil.com',
    '/%2e%2e//evil.com',
    '/write/..//evil.com',
  ];

  it('never sends a browser to another site after sign-in, the welcome page or a confirmation', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    for (const next of PAYLOADS) {
      // Signing in, with ?next= carried by the form.
      const signIn = await freshPasswordStep(ctx, username, password, { next });
      expect(signIn.response.status).toBe(303);
      expect(isLocalPath(signIn.location), `POST /login next=${JSON.stringify(next)} → ${signIn.location}`).toBe(true);
      // Already signed in, opening /login?next=….
      const already = await signIn.client.get(`/login?next=${encodeURIComponent(next)}`);
      expect(isLocalPath(already.headers.get('location')), `GET /login?next=${JSON.stringify(next)} → ${already.headers.get('location')}`).toBe(true);
      // The credentials page's form.
      const welcome = await client.post('/welcome', { next });
      expect(isLocalPath(welcome.headers.get('location')), `POST /welcome next=${JSON.stringify(next)}`).toBe(true);
      // Confirming it is you before a sensitive change.
      const confirmGet = await signIn.client.get(`/account/confirm?next=${encodeURIComponent(next)}`);
      expect(isLocalPath(confirmGet.headers.get('location')), `GET /account/confirm?next=${JSON.stringify(next)}`).toBe(true);
    }
    // And after the second step of a sign-in with an authenticator app.
    const { secret } = await turnOnTotp(ctx, client);
    for (const next of PAYLOADS.slice(-5)) {
      ctx.clock.advance(MINUTE);
      const step = await freshPasswordStep(ctx, username, password, { next });
      expect(step.location).toBe('/login/verify');
      const done = await step.client.post('/login/verify', { code: await codeAt(secret, ctx.clock.now()) });
      expect(done.status).toBe(303);
      expect(isLocalPath(done.headers.get('location')), `second step next=${JSON.stringify(next)} → ${done.headers.get('location')}`).toBe(true);
    }
  });
});

describe('path traversal', () => {
  /** A raw request line, exactly as written: no URL parser in between to tidy the dots away. */
  function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, path: target, method: 'GET' }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') }));
      });
      request.on('error', reject);
      request.end();
    });
  }

  it('serves nothing outside static/ and the media folder, however the path is written', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    // Something worth stealing next to the media folder: the database, and a file in the data directory.
    expect(existsSync(path.join(ctx.dataDir, 'quire.db'))).toBe(true);
    // The route does serve what is there: the stylesheet the pages link to.
    const home = await (await client.get('/')).text();
    const stylesheet = home.match(/href="(\/static\/app\.[0-9a-f]+\.css)"/)![1]!;
    expect((await client.get(stylesheet)).status).toBe(200);

    const targets = [
      '/static/../package.json',
      '/static/../../package.json',
      '/static/..%2f..%2fpackage.json',
      '/static/%2e%2e/%2e%2e/package.json',
      '/static/%2e%2e%2f%2e%2e%2fpackage.json',
      '/static/%252e%252e/package.json',
      '/static/..\\..\\package.json',
      '/static/..%5c..%5cpackage.json',
      '/static/....//....//package.json',
      '/static/app.css%00.js',
      '/static//etc/passwd',
      '/static/%c0%ae%c0%ae/package.json',
      '/media/../quire.db',
      '/media/..%2fquire.db',
      '/media/%2e%2e%2fquire.db',
      '/media/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/media/..%5cquire.db',
      '/media/%252e%252e%252fquire.db',
      '/media/00000000000000000000000000000000.png%00',
      '/media/00000000000000000000000000000000.png/../../quire.db',
      '/media/.%2e/secret.key',
      '/media/quire.db',
      '/media/',
    ];
    const leaked = (body: string) => /SQLite format 3|"name": "quire"|root:x:0:0/.test(body);

    // Through the app, as a fetch-style URL (already normalised by the URL parser).
    for (const target of targets) {
      const response = await client.get(target);
      const body = await response.text();
      expect([400, 404], `${target} → ${response.status}`).toContain(response.status);
      expect(leaked(body), `${target} leaked a file`).toBe(false);
    }

    // Through a real listening server, where the request line arrives exactly as the attacker wrote it.
    const server = serve({ fetch: ctx.app.fetch, port: 0, hostname: '127.0.0.1' });
    try {
      if (!server.listening) await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      for (const target of targets) {
        const response = await rawGet(port, target);
        expect([400, 404], `raw ${target} → ${response.status}`).toContain(response.status);
        expect(leaked(response.body), `raw ${target} leaked a file`).toBe(false);
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('oversized uploads', () => {
  /** A real PNG header claiming `width` × `height` pixels, with one tiny compressed row: a decompression bomb's shape. */
  function pngClaiming(width: number, height: number): Uint8Array<ArrayBuffer> {
    const chunk = (type: string, data: Buffer) => {
      const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(body));
      return Buffer.concat([length, body, crc]);
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(width, 0);
    header.writeUInt32BE(height, 4);
    header.set([8, 2, 0, 0, 0], 8);
    return new Uint8Array(
      Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk('IHDR', header),
        chunk('IDAT', deflateSync(Buffer.alloc(1 + width * 3))),
        chunk('IEND', Buffer.alloc(0)),
      ]),
    );
  }

  it('refuses pictures over 15 MB, declared or not, and decompression bombs, and stores nothing', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const mediaFiles = () => (existsSync(path.join(ctx.dataDir, 'media')) ? readdirSync(path.join(ctx.dataDir, 'media'), { recursive: true }).length : 0);
    const before = fingerprint(ctx);

    // The editor sends the raw file; a form sends multipart. One byte over, both ways.
    const big = new Uint8Array(MAX_UPLOAD_BYTES + 64 * 1024 + 1);
    big.set(pngClaiming(10, 10));
    const raw = await client.request('/api/media', { method: 'POST', body: big, headers: { 'content-type': 'image/png', 'content-length': String(big.length) } });
    expect(raw.status).toBe(413);
    expect(((await raw.json()) as { error: string }).error).toBe('too-large');
    const form = new FormData();
    form.append('file', new Blob([big], { type: 'image/png' }), 'huge.png');
    const multipart = await client.request('/api/media', { method: 'POST', body: form });
    expect(multipart.status).toBe(413);

    // Just over the picture limit itself, inside the multipart allowance: still refused, by the image check.
    const justOver = new Uint8Array(MAX_UPLOAD_BYTES + 1);
    justOver.set(pngClaiming(10, 10));
    const overImage = await client.request('/api/media', { method: 'POST', body: justOver, headers: { 'content-type': 'image/png' } });
    expect(overImage.status).toBe(413);

    // 60,000 × 60,000 pixels claimed by a file of a few hundred KB.
    const bomb = pngClaiming(60_000, 60_000);
    expect(bomb.length).toBeLessThan(MAX_UPLOAD_BYTES);
    const bombed = await client.request('/api/media', { method: 'POST', body: bomb, headers: { 'content-type': 'image/png' } });
    expect(bombed.status).toBe(413);
    expect(((await bombed.json()) as { error: string }).error).toBe('too-many-pixels');

    // Signed out, the upload is refused before its body is read.
    const stranger = new Client(ctx.app, ctx.config.origin);
    expect((await stranger.request('/api/media', { method: 'POST', body: big, headers: { 'content-type': 'image/png' } })).status).toBe(401);

    expect(mediaFiles()).toBe(0);
    expect(fingerprint(ctx)).toBe(before);
  });
});

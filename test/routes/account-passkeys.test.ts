import { describe, expect, it } from 'vitest';
import { CHALLENGE_LIFETIME } from '../../src/auth/passkeys.js';
import { countUnusedRecoveryCodes } from '../../src/db/recovery-codes.js';
import { getUserByUsername } from '../../src/db/users.js';
import { MINUTE } from '../../src/lib/clock.js';
import { addPasskey, eventsOf, passkeySignIn, passwordStep, recoveryCodesFrom, type Ctx } from '../auth/flows.js';
import { SoftAuthenticator } from '../auth/soft-authenticator.js';
import { Client, enrol, makeApp } from '../helpers.js';

async function writerWithPasskey(ctx: Ctx, name = 'Ada Writer') {
  const account = await enrol(ctx, 'writer', name);
  const authenticator = new SoftAuthenticator(ctx.config.origin);
  const added = await addPasskey(account.client, authenticator, 'My laptop');
  expect(added.status).toBe(200);
  const user = getUserByUsername(ctx.db, account.username)!;
  return { ...account, user, authenticator, codes: recoveryCodesFrom(await added.text()) };
}

describe('registering passkeys', () => {
  it('asks for a discoverable, user-verified passkey for this blog, with an anonymous user handle', async () => {
    const ctx = makeApp();
    const { client, username } = await enrol(ctx, 'writer', 'Ada Writer');
    const response = await client.postJson('/account/passkeys/options', {});
    expect(response.status).toBe(200);
    const options = await response.json();
    expect(options.rp).toEqual({ id: 'localhost', name: expect.any(String) });
    expect(options.attestation).toBe('none');
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', requireResidentKey: true, userVerification: 'required' });
    expect(options.excludeCredentials).toEqual([]);
    expect(options.user.name).toBe(username);
    // The handle is 32 random bytes: nothing in it says who the writer is.
    const handle = Buffer.from(options.user.id, 'base64url');
    expect(handle.length).toBe(32);
    expect(handle.toString('latin1')).not.toContain(username);
    // The relying party comes from PUBLIC_URL, whatever Host the request names.
    const spoofed = await client.postJson('/account/passkeys/options', {}, { host: 'evil.example' });
    expect((await spoofed.json()).rp.id).toBe('localhost');
  });

  it('adds a named passkey, makes the first recovery codes, and excludes it from the next registration', async () => {
    const ctx = makeApp();
    const { client, user, authenticator, codes } = await writerWithPasskey(ctx);
    expect(codes).toHaveLength(10);
    expect(countUnusedRecoveryCodes(ctx.db, user.id)).toBe(10);
    const page = await (await client.get('/account')).text();
    expect(page).toContain('value="My laptop"');
    expect(page).toContain('not used yet');
    expect(eventsOf(ctx, user.id).map((e) => e.type)).toEqual(expect.arrayContaining(['passkey-added', 'recovery-codes-created']));

    const next = await (await client.postJson('/account/passkeys/options', {})).json();
    expect(next.excludeCredentials.map((c: { id: string }) => c.id)).toEqual([authenticator.credentials[0]!.id.toString('base64url')]);
    // Same authenticator again: the browser refuses (InvalidStateError); a second one is fine
    // and, with codes already there, goes straight back to the account page.
    expect(() => authenticator.create(next)).toThrow(/InvalidStateError/);
    const phone = new SoftAuthenticator(ctx.config.origin);
    const second = await addPasskey(client, phone, '');
    expect(second.status).toBe(303);
    expect(second.headers.get('location')).toBe('/account?done=passkey-added');
    // Without a name, the browser's description stands in.
    expect(ctx.db.prepare('SELECT name FROM passkeys ORDER BY id').pluck().all()).toEqual(['My laptop', 'Unknown browser']);
  });

  it('refuses a registration for another site, without user verification, or answering a used challenge', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const authenticator = new SoftAuthenticator(ctx.config.origin);
    const attempt = async (behaviour: Parameters<SoftAuthenticator['create']>[1]) => {
      const options = await (await client.postJson('/account/passkeys/options', {})).json();
      return client.post('/account/passkeys', { response: JSON.stringify(authenticator.create(options, behaviour)) });
    };
    for (const behaviour of [{ rpId: 'evil.example' }, { origin: 'http://evil.example' }, { userVerified: false }]) {
      const response = await attempt(behaviour);
      expect(response.status, JSON.stringify(behaviour)).toBe(400);
      expect(await response.text()).toContain('The passkey was not added');
    }
    const options = await (await client.postJson('/account/passkeys/options', {})).json();
    const answer = JSON.stringify(authenticator.create(options));
    ctx.clock.advance(CHALLENGE_LIFETIME);
    expect((await client.post('/account/passkeys', { response: answer })).status).toBe(400);
    expect((await client.post('/account/passkeys', { response: '{"not":"json of a credential"}' })).status).toBe(400);
    expect(ctx.db.prepare('SELECT count(*) FROM passkeys').pluck().get()).toBe(0);
  });
});

describe('signing in with a passkey', () => {
  it('needs no username or password, records the use, and satisfies the second factor', async () => {
    const ctx = makeApp();
    const { user, authenticator } = await writerWithPasskey(ctx);
    ctx.clock.advance(MINUTE);
    const browser = new Client(ctx.app, ctx.config.origin);
    const response = await passkeySignIn(browser, authenticator);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/write');
    expect((await browser.get('/write')).status).toBe(200);
    const row = ctx.db.prepare('SELECT counter, last_used_at FROM passkeys').get() as { counter: number; last_used_at: number };
    expect(row).toEqual({ counter: 1, last_used_at: ctx.clock.now() });
    expect(eventsOf(ctx, user.id).at(-1)).toEqual({ type: 'signed-in', detail: 'with the passkey “My laptop”' });
    // A sign-in with a passkey counts as recent for sensitive changes.
    expect((await browser.get('/account/delete')).status).toBe(200);
  });

  it('is the second step after a password, and the password alone no longer opens the account', async () => {
    const ctx = makeApp();
    const { username, password, authenticator } = await writerWithPasskey(ctx);
    const first = await passwordStep(ctx, username, password, { next: '/account' });
    expect(first.location).toBe('/login/verify');
    const step = await (await first.client.get('/login/verify')).text();
    expect(step).toContain('Use my passkey');
    expect(step).not.toContain('6-digit code');
    const done = await passkeySignIn(first.client, authenticator);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/account');
    expect(first.client.cookies.has('quire_pending')).toBe(false);
  });

  it('refuses a replayed answer, an expired challenge, and a user handle that is not the owner’s', async () => {
    const ctx = makeApp();
    const { authenticator } = await writerWithPasskey(ctx, 'Ada');
    const other = await writerWithPasskey(ctx, 'Grace');
    const browser = new Client(ctx.app, ctx.config.origin);

    const options = await (await browser.postJson('/login/passkey/options', {})).json();
    expect(options.rpId).toBe('localhost');
    expect(options.userVerification).toBe('required');
    expect(options.allowCredentials).toEqual([]);
    const answer = JSON.stringify(authenticator.get(options));
    expect((await browser.post('/login/passkey', { response: answer })).status).toBe(303);
    const replay = new Client(ctx.app, ctx.config.origin);
    const replayed = await replay.post('/login/passkey', { response: answer });
    expect(replayed.status).toBe(401);
    expect(await replayed.text()).toContain('That passkey did not sign you in');

    const late = new Client(ctx.app, ctx.config.origin);
    const lateOptions = await (await late.postJson('/login/passkey/options', {})).json();
    const lateAnswer = authenticator.get(lateOptions);
    ctx.clock.advance(CHALLENGE_LIFETIME);
    expect((await late.post('/login/passkey', { response: JSON.stringify(lateAnswer) })).status).toBe(401);

    // Ada's passkey presenting Grace's user handle, or none at all, signs nobody in.
    for (const userHandle of [other.authenticator.credentials[0]!.userHandle, null]) {
      const browser2 = new Client(ctx.app, ctx.config.origin);
      expect((await passkeySignIn(browser2, authenticator, { userHandle })).status).toBe(401);
      expect(browser2.cookies.has('quire_session')).toBe(false);
    }
    for (const behaviour of [{ userVerified: false }, { origin: 'http://evil.example' }, { rpId: 'evil.example' }]) {
      expect((await passkeySignIn(new Client(ctx.app, ctx.config.origin), authenticator, behaviour)).status, JSON.stringify(behaviour)).toBe(401);
    }
  });
});

describe('managing passkeys', () => {
  it('renames with the value kept on error, and removing the last factor removes the recovery codes', async () => {
    const ctx = makeApp();
    const { client, user, authenticator, username, password } = await writerWithPasskey(ctx);
    const id = ctx.db.prepare('SELECT id FROM passkeys').pluck().get() as number;

    const long = 'x'.repeat(61);
    const refused = await client.post(`/account/passkeys/${id}/rename`, { name: long });
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(html).toContain(`value="${long}"`);
    expect(html).toContain('Please keep the name to 60 characters');
    expect((await client.post(`/account/passkeys/${id}/rename`, { name: '  Work   phone ' })).headers.get('location')).toBe('/account?done=passkey-renamed');
    expect(ctx.db.prepare('SELECT name FROM passkeys').pluck().get()).toBe('Work phone');

    // Removing needs a recent sign-in.
    ctx.clock.advance(11 * MINUTE);
    const stale = await client.post(`/account/passkeys/${id}/delete`);
    expect(stale.headers.get('location')).toMatch(/^\/account\/confirm/);
    await client.post('/account/confirm', { password, next: '/account' });
    const removed = await client.post(`/account/passkeys/${id}/delete`);
    expect(removed.headers.get('location')).toBe('/account?done=passkey-removed-codes');
    expect(countUnusedRecoveryCodes(ctx.db, user.id)).toBe(0);
    expect(eventsOf(ctx, user.id).map((e) => e.type)).toContain('passkey-removed');
    // The removed passkey no longer signs in; the password alone does again.
    expect((await passkeySignIn(new Client(ctx.app, ctx.config.origin), authenticator)).status).toBe(401);
    expect((await passwordStep(ctx, username, password)).location).toBe('/write');
  });

  it('cannot touch another writer’s passkeys', async () => {
    const ctx = makeApp();
    await writerWithPasskey(ctx, 'Ada');
    const grace = await enrol(ctx, 'writer', 'Grace');
    const id = ctx.db.prepare('SELECT id FROM passkeys').pluck().get() as number;
    await grace.client.post(`/account/passkeys/${id}/rename`, { name: 'Mine now' });
    await grace.client.post(`/account/passkeys/${id}/delete`);
    expect(ctx.db.prepare('SELECT name FROM passkeys').pluck().all()).toEqual(['My laptop']);
  });
});

describe('signing in where someone is already signed in', () => {
  it('ends the session this browser had, so it does not linger in the other person’s devices', async () => {
    const ctx = makeApp();
    const grace = await enrol(ctx, 'writer', 'Grace');
    const { authenticator } = await writerWithPasskey(ctx, 'Ada');
    const graceUser = getUserByUsername(ctx.db, grace.username)!;
    expect(ctx.db.prepare('SELECT count(*) FROM sessions WHERE user_id = ?').pluck().get(graceUser.id)).toBe(1);
    // Ada uses her passkey in the browser Grace is signed in to.
    expect((await passkeySignIn(grace.client, authenticator)).status).toBe(303);
    expect(await (await grace.client.get('/account')).text()).toContain('Ada');
    expect(ctx.db.prepare('SELECT count(*) FROM sessions WHERE user_id = ?').pluck().get(graceUser.id)).toBe(0);
  });

  it('limits how many sign-in challenges one address can ask for, so nobody can fill the table', async () => {
    const ctx = makeApp();
    const visitor = new Client(ctx.app, ctx.config.origin);
    for (let i = 0; i < 30; i++) expect((await visitor.postJson('/login/passkey/options', {})).status).toBe(200);
    const refused = await visitor.postJson('/login/passkey/options', {});
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()).message).toMatch(/Please wait/);
    ctx.clock.advance(2_000);
    expect((await visitor.postJson('/login/passkey/options', {})).status).toBe(200);
  });
});

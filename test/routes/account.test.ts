import { describe, expect, it } from 'vitest';
import { countUnusedRecoveryCodes } from '../../src/db/recovery-codes.js';
import { getUserByUsername } from '../../src/db/users.js';
import { MINUTE } from '../../src/lib/clock.js';
import { codeAt, eventsOf, passwordStep, recoveryCodesFrom, totpSecretFrom, turnOnTotp, wrongCodeAt } from '../auth/flows.js';
import { Client, enrol, inputValue, makeApp } from '../helpers.js';

/** Session ids on the account page that can be signed out (every device but this one). */
function otherSessionIds(html: string): number[] {
  return [...html.matchAll(/action="\/account\/sessions\/(\d+)\/end"/g)].map((m) => Number(m[1]));
}

describe('the account page', () => {
  it('shows who you are, how you sign in and where you are signed in', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'owner', 'Ada Writer');
    await passwordStep(ctx, username, password, {});

    const response = await client.get('/account', { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain('Ada Writer');
    expect(html).toContain(`<code>${username}</code>`);
    expect(html).toContain('Owner: writes, invites people and changes settings');
    expect(html).toContain('Password');
    expect(html).toContain('Authenticator app');
    expect(html).toContain('No passkeys yet');
    // Two browsers are signed in: this one and the other one, which can be signed out from here.
    expect(html.match(/>This device</g)).toHaveLength(1);
    expect(otherSessionIds(html)).toHaveLength(1);
    expect(html).toContain('Sign out everywhere else');

    const stranger = new Client(ctx.app, ctx.config.origin);
    const away = await stranger.get('/account');
    expect(away.status).toBe(303);
    expect(away.headers.get('location')).toBe('/login?next=%2Faccount');
  });

  it('signs out one other device, or every other device, and records it', async () => {
    const ctx = makeApp();
    const { client: here, username, password } = await enrol(ctx, 'writer');
    const laptop = (await passwordStep(ctx, username, password)).client;
    const phone = (await passwordStep(ctx, username, password)).client;
    const someoneElse = await enrol(ctx, 'writer', 'Someone Else');
    const user = getUserByUsername(ctx.db, username)!;

    const ids = otherSessionIds(await (await here.get('/account')).text());
    expect(ids).toHaveLength(2);

    // Signing out one device ends that one only.
    const ended = await here.post(`/account/sessions/${ids[0]}/end`);
    expect(ended.status).toBe(303);
    expect(ended.headers.get('location')).toBe('/account?done=signed-out-device');
    expect(await (await here.get('/account?done=signed-out-device')).text()).toContain('That device is signed out.');
    const statuses = [(await laptop.get('/write')).status, (await phone.get('/write')).status].sort();
    expect(statuses).toEqual([200, 303]);

    // Another person's session id does nothing.
    const foreign = ctx.db.prepare('SELECT id FROM sessions WHERE user_id != ?').pluck().get(user.id) as number;
    await here.post(`/account/sessions/${foreign}/end`);
    expect((await someoneElse.client.get('/write')).status).toBe(200);
    // Nor does this device's own id: that is "Sign out".
    const own = ctx.db.prepare('SELECT min(id) FROM sessions WHERE user_id = ?').pluck().get(user.id) as number;
    await here.post(`/account/sessions/${own}/end`);
    expect((await here.get('/write')).status).toBe(200);

    // "Sign out everywhere else" ends the rest, keeps this one.
    const others = await here.post('/account/sessions/end-others');
    expect(others.headers.get('location')).toBe('/account?done=signed-out-others');
    expect((await laptop.get('/write')).status).toBe(303);
    expect((await phone.get('/write')).status).toBe(303);
    expect((await here.get('/write')).status).toBe(200);
    expect(ctx.db.prepare('SELECT count(*) FROM sessions WHERE user_id = ?').pluck().get(user.id)).toBe(1);

    const events = eventsOf(ctx, user.id).filter((e) => e.type === 'sessions-ended');
    expect(events).toHaveLength(2);
    expect(events[1]!.detail).toBe('1 device');
    const page = await (await here.get('/account')).text();
    expect(page).toContain('data-event="sessions-ended"');
    expect(page).not.toContain('Sign out everywhere else');
  });
});

describe('the recent-sign-in rule', () => {
  it('lets sensitive changes through for 10 minutes after signing in, then asks to confirm first', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    ctx.clock.advance(10 * MINUTE - 1);
    expect((await client.get('/account/delete')).status).toBe(200);
    ctx.clock.advance(1);

    // A page comes back to itself; a form post to the page it was sent from; a script gets JSON.
    const page = await client.get('/account/delete');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/account/confirm?next=%2Faccount%2Fdelete');
    const post = await client.post('/account/password', {}, { referer: `${ctx.config.origin}/account` });
    expect(post.status).toBe(303);
    expect(post.headers.get('location')).toBe('/account/confirm?next=%2Faccount');
    const script = await client.postJson('/account/passkeys/options', {});
    expect(script.status).toBe(403);
    expect(await script.json()).toMatchObject({ error: 'confirm', location: '/account/confirm?next=%2Faccount' });
    // Nothing changed meanwhile.
    expect(ctx.db.prepare("SELECT count(*) FROM security_events WHERE type = 'password-renewed'").pluck().get()).toBe(0);

    const account = await (await client.get('/account')).text();
    expect(account).toContain('Quire asks you to confirm it is you');
  });

  it('confirms with the password, naming a wrong one, and goes back where it was going', async () => {
    const ctx = makeApp();
    const { client, password } = await enrol(ctx, 'writer');
    ctx.clock.advance(11 * MINUTE);
    const form = await client.get('/account/confirm?next=%2Faccount%2Fdelete');
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('autocomplete="current-password"');
    expect(html).not.toContain('Confirm with a code');

    const wrong = await client.post('/account/confirm', { password: 'not-it', next: '/account/delete' });
    expect(wrong.status).toBe(401);
    const wrongHtml = await wrong.text();
    expect(wrongHtml).toContain('That password is not right');
    expect(inputValue(wrongHtml, 'next')).toBe('/account/delete');
    expect((await client.post('/account/confirm', { next: '/account/delete' })).status).toBe(400);

    const right = await client.post('/account/confirm', { password, next: '/account/delete' });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/account/delete');
    expect((await client.get('/account/delete')).status).toBe(200);
    // Another 10 minutes, and it asks again.
    ctx.clock.advance(10 * MINUTE);
    expect((await client.get('/account/delete')).status).toBe(303);

    // ?next= can only ever lead back into the blog.
    const evil = await client.post('/account/confirm', { password, next: '//evil.example/' });
    expect(evil.headers.get('location')).toBe('/account');
  });

  it('confirms with an authenticator code, once per code', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    const { secret } = await turnOnTotp(ctx, client);
    ctx.clock.advance(MINUTE);
    const other = await passwordStep(ctx, username, password);
    await other.client.post('/login/verify', { code: await codeAt(secret, ctx.clock.now()) });
    ctx.clock.advance(11 * MINUTE);

    const html = await (await client.get('/account/confirm?next=%2Faccount')).text();
    expect(html).toContain('Confirm with a code');
    const code = await codeAt(secret, ctx.clock.now());
    const ok = await client.post('/account/confirm', { code, next: '/account' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/account');
    // The same code in the other browser straight away: refused, a code works once.
    const replay = await other.client.post('/account/confirm', { code, next: '/account' });
    expect(replay.status).toBe(401);
    expect(await replay.text()).toContain('already used');
    expect((await other.client.get('/account/delete')).status).toBe(303);
  });
});

describe('a new password', () => {
  it('is generated, handed to the password manager, and signs out every other device', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    const other = (await passwordStep(ctx, username, password)).client;

    const response = await client.post('/account/password');
    expect(response.status).toBe(200);
    const html = await response.text();
    const fresh = inputValue(html, 'password')!;
    expect(fresh).toMatch(/^[A-Za-z2-9]{6}(-[A-Za-z2-9]{6}){3}$/);
    expect(fresh).not.toBe(password);
    expect(inputValue(html, 'username')).toBe(username);
    expect(html).toContain('autocomplete="new-password"');
    expect(html).toMatch(/static\/credentials\.[0-9a-f]{12}\.js/);
    expect(inputValue(html, 'next')).toBe('/account?done=password');

    expect((await client.get('/write')).status).toBe(200);
    expect((await other.get('/write')).status).toBe(303);
    expect((await passwordStep(ctx, username, password)).response.status).toBe(401);
    expect((await passwordStep(ctx, username, fresh)).location).toBe('/write');
    const user = getUserByUsername(ctx.db, username)!;
    expect(eventsOf(ctx, user.id).map((e) => e.type)).toContain('password-renewed');
  });
});

describe('the authenticator app (TOTP)', () => {
  it('shows a QR code and the key, and turns on only after a correct code', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    const user = getUserByUsername(ctx.db, username)!;
    expect((await client.post('/account/totp/start')).headers.get('location')).toBe('/account/totp/setup');
    const setup = await client.get('/account/totp/setup');
    const html = await setup.text();
    expect(html).toMatch(/<div class="qr"[^>]*><svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+">/);
    const secret = totpSecretFrom(html);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // The QR code is drawn, not written: the key appears once, in the text for typing by hand.
    expect(html.split(secret.slice(0, 4)).length).toBe(2);

    const wrong = await client.post('/account/totp/setup', { code: ' ' + (await wrongCodeAt(secret, ctx.clock.now())) });
    expect(wrong.status).toBe(400);
    const wrongHtml = await wrong.text();
    expect(wrongHtml).toContain('That code is not right');
    expect(wrongHtml).toMatch(/aria-invalid="true"/);
    expect(totpSecretFrom(wrongHtml)).toBe(secret);
    const letters = await client.post('/account/totp/setup', { code: 'abc' });
    expect(letters.status).toBe(400);
    const lettersHtml = await letters.text();
    expect(inputValue(lettersHtml, 'code')).toBe('abc');
    expect(lettersHtml).toContain('Type the 6 digits');
    // Still off: the password alone signs in.
    expect((await passwordStep(ctx, username, password)).location).toBe('/write');

    const right = await client.post('/account/totp/setup', { code: await codeAt(secret, ctx.clock.now()) });
    expect(right.status).toBe(200);
    const codesPage = await right.text();
    expect(codesPage).toContain('Your authenticator app is on.');
    expect(recoveryCodesFrom(codesPage)).toHaveLength(10);
    expect(codesPage).toContain('They are shown only now.');
    for (const action of ['data-codes-copy', 'data-codes-download', 'data-codes-print']) expect(codesPage).toContain(action);
    expect(countUnusedRecoveryCodes(ctx.db, user.id)).toBe(10);
    expect(eventsOf(ctx, user.id).map((e) => e.type)).toEqual(expect.arrayContaining(['totp-enabled', 'recovery-codes-created']));
    expect(await (await client.get('/account')).text()).toContain('<span class="badge badge-on">On</span>');
    // The setup page is gone once it is on.
    expect((await client.get('/account/totp/setup')).headers.get('location')).toBe('/account');
  });

  it('asks for a code after the password, accepts one step of drift, and refuses a replayed code', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    const { secret } = await turnOnTotp(ctx, client);
    ctx.clock.advance(5 * MINUTE);

    const first = await passwordStep(ctx, username, password, { next: '/account' });
    expect(first.response.status).toBe(303);
    expect(first.location).toBe('/login/verify');
    // A correct password alone opens nothing.
    expect(first.client.cookies.has('quire_session')).toBe(false);
    expect((await first.client.get('/write')).status).toBe(303);
    const step = await first.client.get('/login/verify');
    expect(step.status).toBe(200);
    expect(await step.text()).toContain('6-digit code from your authenticator app');

    // A phone clock 30 s behind: the previous step's code still works.
    const behind = await codeAt(secret, ctx.clock.now() - 30_000);
    const done = await first.client.post('/login/verify', { code: behind.slice(0, 3) + ' ' + behind.slice(3) });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/account');
    expect((await first.client.get('/write')).status).toBe(200);
    // The pending step is finished: it cannot be reused.
    expect((await first.client.post('/login/verify', { code: behind })).status).toBe(401);

    // The same code in another browser: refused, as is every earlier one.
    const second = await passwordStep(ctx, username, password);
    const replay = await second.client.post('/login/verify', { code: behind });
    expect(replay.status).toBe(401);
    expect(await replay.text()).toContain('already used');
    // Two steps away is too far, either side.
    expect((await second.client.post('/login/verify', { code: await codeAt(secret, ctx.clock.now() + 60_000) })).status).toBe(401);
    expect((await second.client.post('/login/verify', { code: await codeAt(secret, ctx.clock.now() - 60_000) })).status).toBe(401);
    // The current code is later than the one used: fine.
    const current = await second.client.post('/login/verify', { code: await codeAt(secret, ctx.clock.now()) });
    expect(current.status).toBe(303);

    const user = getUserByUsername(ctx.db, username)!;
    const signIns = eventsOf(ctx, user.id).filter((e) => e.type === 'signed-in');
    expect(signIns.map((e) => e.detail)).toContain('with password and authenticator code');
  });

  it('allows 5 wrong codes per 30 minutes per account, then answers 429 with Retry-After', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    const { secret, codes } = await turnOnTotp(ctx, client);
    const user = getUserByUsername(ctx.db, username)!;
    ctx.clock.advance(MINUTE);

    const attacker = await passwordStep(ctx, username, password);
    for (let i = 0; i < 5; i++) {
      const wrong = await attacker.client.post('/login/verify', { code: await wrongCodeAt(secret, ctx.clock.now()) });
      expect(wrong.status, `attempt ${i + 1}`).toBe(401);
      ctx.clock.advance(MINUTE);
    }
    // The limit is per account, not per browser: a new sign-in elsewhere is paused too, even with
    // the right code.
    const writer = await passwordStep(ctx, username, password);
    const paused = await writer.client.post('/login/verify', { code: await codeAt(secret, ctx.clock.now()) });
    expect(paused.status).toBe(429);
    // The first failure was 5 minutes ago: 25 minutes to go.
    expect(Number(paused.headers.get('retry-after'))).toBe(25 * 60);
    const pausedHtml = await paused.text();
    expect(pausedHtml).toContain('codes are paused for 25 minutes');
    expect(pausedHtml).toContain('recovery code');
    expect(eventsOf(ctx, user.id).filter((e) => e.type === 'second-factor-failures')).toHaveLength(1);

    // A recovery code still gets the writer in meanwhile.
    const rescue = await passwordStep(ctx, username, password);
    expect((await rescue.client.post('/login/verify/recovery', { recovery_code: codes[0]! })).status).toBe(303);

    // When the oldest failure leaves the window, one more try is allowed.
    ctx.clock.advance(25 * MINUTE - 1000);
    const nearly = await passwordStep(ctx, username, password);
    const stillPaused = await nearly.client.post('/login/verify', { code: await codeAt(secret, ctx.clock.now()) });
    expect(stillPaused.status).toBe(429);
    expect(stillPaused.headers.get('retry-after')).toBe('1');
    ctx.clock.advance(1000);
    const again = await passwordStep(ctx, username, password);
    const ok = await again.client.post('/login/verify', { code: await codeAt(secret, ctx.clock.now()) });
    expect(ok.status).toBe(303);
  });

  it('turns off only with a current code or a recovery code', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    const { secret, codes } = await turnOnTotp(ctx, client);
    const user = getUserByUsername(ctx.db, username)!;
    ctx.clock.advance(MINUTE);

    expect((await client.get('/account/totp/disable')).status).toBe(200);
    const empty = await client.post('/account/totp/disable', { code: '' });
    expect(empty.status).toBe(400);
    const wrong = await client.post('/account/totp/disable', { code: await wrongCodeAt(secret, ctx.clock.now()) });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That code is not right');
    const usedRecovery = await client.post('/account/totp/disable', { code: 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA' });
    expect(usedRecovery.status).toBe(401);
    expect((await passwordStep(ctx, username, password)).location).toBe('/login/verify');

    // With a recovery code: off, and with no second factor left the other codes go too.
    const off = await client.post('/account/totp/disable', { code: codes[3]!.toLowerCase() });
    expect(off.status).toBe(303);
    expect(off.headers.get('location')).toBe('/account?done=totp-off-codes');
    expect(countUnusedRecoveryCodes(ctx.db, user.id)).toBe(0);
    expect((await passwordStep(ctx, username, password)).location).toBe('/write');
    expect(eventsOf(ctx, user.id).map((e) => e.type)).toEqual(expect.arrayContaining(['recovery-code-used', 'totp-disabled']));

    // And with a current code from the app.
    const again = await turnOnTotp(ctx, client);
    ctx.clock.advance(MINUTE);
    const offAgain = await client.post('/account/totp/disable', { code: await codeAt(again.secret, ctx.clock.now()) });
    expect(offAgain.status).toBe(303);
    expect(ctx.db.prepare('SELECT count(*) FROM totp_credentials').pluck().get()).toBe(0);
  });
});

describe('recovery codes', () => {
  it('stand in for the second factor once each, typed loosely, and the account page says how many are left', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    const { codes } = await turnOnTotp(ctx, client);
    const user = getUserByUsername(ctx.db, username)!;

    // Lower case, spaces for dashes, O for 0 and l for 1: still the code.
    const sloppy = codes[0]!.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'O').replace(/1/g, 'l');
    const phoneLost = await passwordStep(ctx, username, password, { next: '/write' });
    const used = await phoneLost.client.post('/login/verify/recovery', { recovery_code: `  ${sloppy} ` });
    expect(used.status).toBe(303);
    expect(used.headers.get('location')).toBe('/account?recovery_code=used');
    const page = await (await phoneLost.client.get('/account?recovery_code=used')).text();
    expect(page).toContain('You signed in with a recovery code. You have <strong>9</strong> left');
    expect(page).toContain('set up a new one');
    expect(eventsOf(ctx, user.id).find((e) => e.type === 'recovery-code-used')?.detail).toBe('9 left');

    // The same code again: refused, the typed value kept and the problem named.
    const again = await passwordStep(ctx, username, password);
    const refused = await again.client.post('/login/verify/recovery', { recovery_code: codes[0]! });
    expect(refused.status).toBe(401);
    const refusedHtml = await refused.text();
    expect(refusedHtml).toContain('not right, or it was already used');
    expect(inputValue(refusedHtml, 'recovery_code')).toBe(codes[0]);
    expect(refusedHtml).toMatch(/<details open/);
    const malformed = await again.client.post('/login/verify/recovery', { recovery_code: '1234' });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('24 letters and digits');

    // A new set: shown once, the old ones stop working.
    const fresh = await client.post('/account/recovery-codes');
    expect(fresh.status).toBe(200);
    const freshCodes = recoveryCodesFrom(await fresh.text());
    expect(freshCodes).toHaveLength(10);
    expect(freshCodes).not.toContain(codes[1]);
    expect((await again.client.post('/login/verify/recovery', { recovery_code: codes[1]! })).status).toBe(401);
    expect((await again.client.post('/login/verify/recovery', { recovery_code: freshCodes[1]! })).status).toBe(303);
    expect(countUnusedRecoveryCodes(ctx.db, user.id)).toBe(9);
  });
});

describe('security events', () => {
  it('records each kind of event and shows them, newest first, on the account page', async () => {
    const ctx = makeApp();
    const { client, username, password } = await enrol(ctx, 'writer');
    const user = getUserByUsername(ctx.db, username)!;
    const { secret } = await turnOnTotp(ctx, client);
    // A burst of wrong passwords from a browser Quire does not know.
    for (let i = 0; i < 5; i++) await passwordStep(ctx, username, 'wrong-password');
    ctx.clock.advance(MINUTE);
    const signIn = await passwordStep(ctx, username, password);
    await signIn.client.post('/login/verify', { code: await codeAt(secret, ctx.clock.now()) });
    await client.post('/account/password');

    const types = eventsOf(ctx, user.id).map((e) => e.type);
    expect(types).toEqual(['totp-enabled', 'recovery-codes-created', 'sign-in-failures', 'signed-in', 'password-renewed']);
    const html = await (await client.get('/account')).text();
    const shown = [...html.matchAll(/data-event="([a-z-]+)"/g)].map((m) => m[1]);
    expect(shown).toEqual([...types].reverse());
    expect(html).toContain('Several wrong passwords in a row');
    expect(html).toContain('from a browser Quire did not recognise');
    expect(html).toContain('Authenticator app turned on');
    expect(html).toContain('New password made');
  });
});

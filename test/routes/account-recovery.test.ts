import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RECOVERY_LINK_LIFETIME } from '../../src/auth/recovery-links.js';
import { countUnusedRecoveryCodes } from '../../src/db/recovery-codes.js';
import { getUserByUsername } from '../../src/db/users.js';
import { projectRoot } from '../../src/lib/paths.js';
import { MINUTE } from '../../src/lib/clock.js';
import { addPasskey, eventsOf, passwordStep, turnOnTotp, type Ctx } from '../auth/flows.js';
import { SoftAuthenticator } from '../auth/soft-authenticator.js';
import { Client, enrol, inputValue, makeApp, TEST_SECRET } from '../helpers.js';

const LINK = /value="(http:\/\/localhost:3000\/recover\/[A-Za-z0-9_-]{27})"/;

/** An owner and a writer who set up an authenticator app and is signed in on two devices. */
async function ownerAndWriter(ctx: Ctx) {
  const owner = await enrol(ctx, 'owner', 'Olive Owner');
  const writer = await enrol(ctx, 'writer', 'Wren Writer');
  const totp = await turnOnTotp(ctx, writer.client);
  const user = getUserByUsername(ctx.db, writer.username)!;
  return { owner, writer, user, ...totp };
}

async function issueFromMembersPage(owner: { client: Client }, userId: number): Promise<string> {
  const response = await owner.client.post(`/members/${userId}/recovery-link`);
  expect(response.status).toBe(201);
  const html = await response.text();
  expect(html).toContain('Give it only to them');
  return new URL(html.match(LINK)![1]!).pathname;
}

describe('recovery links', () => {
  it('issued by an owner, give the writer a new password and revoke sessions, authenticator and codes', async () => {
    const ctx = makeApp();
    const { owner, writer, user } = await ownerAndWriter(ctx);
    const passkey = new SoftAuthenticator(ctx.config.origin);
    await addPasskey(writer.client, passkey, 'Old phone');
    ctx.clock.advance(MINUTE);

    const path = await issueFromMembersPage(owner, user.id);
    expect(eventsOf(ctx, user.id).at(-1)).toEqual({ type: 'recovery-link-issued', detail: 'by Olive Owner' });
    // The members page lists the pending link (not the link itself: only its hash is stored).
    const members = await (await owner.client.get('/members')).text();
    expect(members).toContain('A recovery link for them works until');
    expect(members).not.toContain(path);

    // Opening it only shows what will happen; a link preview cannot use it up.
    const browser = new Client(ctx.app, ctx.config.origin);
    for (let i = 0; i < 2; i++) {
      const page = await browser.get(path);
      expect(page.status).toBe(200);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(await page.text()).toContain('This link is for <strong>Wren Writer</strong>');
    }

    const used = await browser.post(path);
    expect(used.status).toBe(200);
    const html = await used.text();
    const fresh = inputValue(html, 'password')!;
    expect(fresh).toMatch(/^[A-Za-z2-9]{6}(-[A-Za-z2-9]{6}){3}$/);
    expect(inputValue(html, 'username')).toBe(writer.username);
    expect(html).toContain('autocomplete="new-password"');
    expect(inputValue(html, 'next')).toBe('/account?recovered=link');

    // Signed in here; signed out everywhere else; old password, authenticator and codes gone.
    expect((await browser.get('/write')).status).toBe(200);
    expect((await writer.client.get('/write')).status).toBe(303);
    expect((await passwordStep(ctx, writer.username, writer.password)).response.status).toBe(401);
    expect(ctx.db.prepare('SELECT count(*) FROM totp_credentials WHERE user_id = ?').pluck().get(user.id)).toBe(0);
    expect(countUnusedRecoveryCodes(ctx.db, user.id)).toBe(0);

    // The passkeys are kept for review, and the account page asks for that.
    const account = await (await browser.get('/account?recovered=link')).text();
    expect(account).toContain('remove any you no longer have or do not recognise');
    expect(account).toContain('value="Old phone"');
    const types = eventsOf(ctx, user.id).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['recovery-link-used', 'password-renewed']);
    // With the old passkey removed, the new password alone signs in.
    ctx.clock.advance(MINUTE);
    const id = ctx.db.prepare('SELECT id FROM passkeys WHERE user_id = ?').pluck().get(user.id) as number;
    await browser.post(`/account/passkeys/${id}/delete`);
    expect((await passwordStep(ctx, writer.username, fresh)).location).toBe('/write');

    // Once only.
    const again = new Client(ctx.app, ctx.config.origin);
    expect((await again.get(path)).status).toBe(410);
    const reused = await again.post(path);
    expect(reused.status).toBe(410);
    expect(await reused.text()).toContain('Ask an owner of this blog for a new one');
    expect(again.cookies.has('quire_session')).toBe(false);
  });

  it('expire after 24 hours, and a newer link or a revocation replaces the old one', async () => {
    const ctx = makeApp();
    const { owner, user } = await ownerAndWriter(ctx);
    const browser = new Client(ctx.app, ctx.config.origin);

    const expiring = await issueFromMembersPage(owner, user.id);
    ctx.clock.advance(RECOVERY_LINK_LIFETIME - 1);
    expect((await browser.get(expiring)).status).toBe(200);
    ctx.clock.advance(1);
    expect((await browser.get(expiring)).status).toBe(410);
    expect((await browser.post(expiring)).status).toBe(410);

    // The owner confirms again (their sign-in is a day old), then makes two links: only the newer works.
    await owner.client.post('/account/confirm', { password: owner.password, next: '/members' });
    const older = await issueFromMembersPage(owner, user.id);
    const newer = await issueFromMembersPage(owner, user.id);
    expect((await browser.get(older)).status).toBe(410);
    expect((await browser.get(newer)).status).toBe(200);

    const members = await (await owner.client.get('/members')).text();
    const revoke = members.match(/action="(\/members\/recovery-links\/\d+\/revoke)"/)![1]!;
    expect((await owner.client.post(revoke)).headers.get('location')).toBe('/members?revoked=recovery-link');
    expect(await (await owner.client.get('/members?revoked=recovery-link')).text()).toContain('The recovery link was revoked');
    expect((await browser.post(newer)).status).toBe(410);
    expect(browser.cookies.has('quire_session')).toBe(false);
  });

  it('are issued only by an owner who signed in recently, and not for themselves', async () => {
    const ctx = makeApp();
    const { owner, writer, user } = await ownerAndWriter(ctx);
    const ownerUser = getUserByUsername(ctx.db, owner.username)!;
    expect((await writer.client.post(`/members/${ownerUser.id}/recovery-link`)).status).toBe(403);
    expect((await owner.client.post(`/members/${ownerUser.id}/recovery-link`)).headers.get('location')).toBe('/members');

    ctx.clock.advance(11 * MINUTE);
    const stale = await owner.client.post(`/members/${user.id}/recovery-link`, {}, { referer: `${ctx.config.origin}/members` });
    expect(stale.status).toBe(303);
    expect(stale.headers.get('location')).toBe('/account/confirm?next=%2Fmembers');
    expect(ctx.db.prepare('SELECT count(*) FROM recovery_links').pluck().get()).toBe(0);
  });

  it('can be made by the host on the command line', async () => {
    const ctx = makeApp();
    const { user, writer } = await ownerAndWriter(ctx);
    const cli = runCli(ctx.dataDir, ['recovery-link', writer.username]);
    expect(cli.status, cli.stderr).toBe(0);
    const link = cli.stdout.trim();
    expect(link).toMatch(/^http:\/\/localhost:3000\/recover\/[A-Za-z0-9_-]{27}$/);
    expect(cli.stderr).toContain(`Recovery link for Wren Writer (${writer.username})`);
    expect(eventsOf(ctx, user.id).at(-1)).toEqual({ type: 'recovery-link-issued', detail: 'by the host, on the command line' });

    const browser = new Client(ctx.app, ctx.config.origin);
    const used = await browser.post(new URL(link).pathname);
    expect(used.status).toBe(200);
    expect((await browser.get('/write')).status).toBe(200);

    const unknown = runCli(ctx.dataDir, ['recovery-link', 'nobody-here-0000']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('No account has the username "nobody-here-0000"');
    expect(unknown.stdout).toBe('');
  });
});

/**
 * Runs src/cli.ts as the host would, in its own process on the same data folder. Vite's module
 * runner (what vitest itself uses) compiles the TypeScript and JSX on the way, so no build is needed.
 */
const RUN_CLI = `
  import { createServer, createServerModuleRunner } from 'vite';
  const server = await createServer({
    root: process.cwd(), configFile: false, logLevel: 'error', appType: 'custom',
    server: { middlewareMode: true, hmr: false, ws: false }, optimizeDeps: { noDiscovery: true, include: [] },
  });
  const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
  process.argv = [process.argv[0], 'src/cli.ts', ...process.argv.slice(1)];
  await runner.import('/src/cli.ts');
`;

function runCli(dataDir: string, args: string[]) {
  const result = spawnSync(process.execPath, ['--input-type=module', '--eval', RUN_CLI, ...args], {
    cwd: projectRoot(),
    encoding: 'utf8',
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, QUIRE_SECRET: TEST_SECRET, PUBLIC_URL: 'http://localhost:3000' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

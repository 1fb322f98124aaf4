import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInvite } from '../../src/auth/invites.js';
import { CAPTURE_STORED_CREDENTIALS, REMOVE_PASSWORD_CREDENTIAL, describeBrowser, launchBrowser, screenshotPath, startQuire } from './browser.js';

describeBrowser('accounts in a real browser', () => {
  let browser: Browser;
  let quire: Awaited<ReturnType<typeof startQuire>>;

  beforeAll(async () => {
    browser = await launchBrowser();
    quire = await startQuire();
  });
  afterAll(async () => {
    await browser?.close();
    await quire?.close();
  });

  async function enrolThroughPage(page: Page, name: string) {
    const invite = createInvite(quire.db, quire.config.publicUrl, 'owner', null, Date.now());
    await page.goto(invite.link);
    await page.getByLabel('Your name, as readers will see it').fill(name);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.waitForSelector('#credentials-form');
    return {
      username: await page.inputValue('#new-username'),
      password: await page.inputValue('#new-password'),
    };
  }

  async function signOut(page: Page) {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login\?signed_out=1$/);
  }

  async function signIn(page: Page, username: string, password: string) {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/write$/);
  }

  it('enrols with credentials stored through PasswordCredential, signs out and back in with them', async () => {
    const context = await browser.newContext();
    await context.addInitScript(CAPTURE_STORED_CREDENTIALS);
    const page = await context.newPage();
    const shown = await enrolThroughPage(page, 'Ada Lovelace');
    await expect.poll(() => page.textContent('#credential-status')).toContain('asked to save');
    await page.screenshot({ path: screenshotPath('enrol-credentials.png'), fullPage: true });
    const stored = (await page.evaluate('window.__stored')) as { id: string; password: string; type: string }[];
    expect(stored).toHaveLength(1);
    expect(stored[0]).toEqual({ id: shown.username, password: shown.password, type: 'password' });

    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/write$/);
    await signOut(page);
    // Sign in with exactly what the page handed to the password manager.
    await signIn(page, stored[0]!.id, stored[0]!.password);
    expect(await page.textContent('h1')).toContain('posts');
    await context.close();
  });

  it('falls back to a real form with copy buttons where PasswordCredential is missing', async () => {
    const context = await browser.newContext();
    await context.addInitScript(REMOVE_PASSWORD_CREDENTIAL);
    const page = await context.newPage();
    const shown = await enrolThroughPage(page, 'Grace Hopper');
    expect(await page.getAttribute('#new-username', 'autocomplete')).toBe('username');
    expect(await page.getAttribute('#new-password', 'autocomplete')).toBe('new-password');
    expect(await page.isVisible('button[data-copy="new-password"]')).toBe(true);
    expect(await page.textContent('#credential-status')).toContain('shown only this once');
    await page.getByText('Show the password').click();
    expect(await page.textContent('#password-text')).toBe(shown.password);
    await page.screenshot({ path: screenshotPath('enrol-fallback.png'), fullPage: true });
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/write$/);
    await signOut(page);
    await signIn(page, shown.username, shown.password);
    await context.close();
  });

  it('refuses a POST sent from another origin', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await enrolThroughPage(page, 'Owner Two');
    const before = quire.db.prepare('SELECT count(*) FROM invites').pluck().get();
    const hostile = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form id="f" method="post" action="${quire.url}/members/invites"><input name="role" value="owner"></form>
        <script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    const port = (hostile.address() as AddressInfo).port;
    const response = page.waitForResponse((r) => r.url().endsWith('/members/invites'));
    await page.goto(`http://127.0.0.1:${port}/`);
    expect((await response).status()).toBe(403);
    expect(await page.textContent('body')).toContain('did not come from a page of this blog');
    expect(quire.db.prepare('SELECT count(*) FROM invites').pluck().get()).toBe(before);
    hostile.close();
    await context.close();
  });
});

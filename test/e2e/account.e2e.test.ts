// Second factors and ways back in, in real Chromium: passkeys through Chrome's virtual
// authenticator (CDP), an authenticator app whose codes the test computes from the secret the
// page shows, recovery codes, an owner-issued recovery link and a new password.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInvite } from '../../src/auth/invites.js';
import { listSecurityEvents } from '../../src/db/security-events.js';
import { getUserByUsername } from '../../src/db/users.js';
import { codeAt, recoveryCodesFrom } from '../auth/flows.js';
import { CAPTURE_STORED_CREDENTIALS, describeBrowser, launchBrowser, screenshotPath, startQuire } from './browser.js';

describeBrowser('second factors and ways back in, in a real browser', () => {
  let browser: Browser;
  let quire: Awaited<ReturnType<typeof startQuire>>;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    quire = await startQuire();
  });
  afterAll(async () => {
    await browser?.close();
    await quire?.close();
  });

  /** A fresh browser profile whose page accepts "are you sure?" dialogs and records stored passwords. */
  async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    await context.addInitScript(CAPTURE_STORED_CREDENTIALS);
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    return page;
  }

  /** Chrome's virtual authenticator: a platform passkey store with user verification, answering at once. */
  async function addVirtualAuthenticator(page: Page) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return { cdp, authenticatorId };
  }

  async function enrol(page: Page, name: string, role: 'owner' | 'writer' = 'writer') {
    const invite = createInvite(quire.db, quire.config.publicUrl, role, null, Date.now());
    await page.goto(invite.link);
    await page.getByLabel('Your name, as readers will see it').fill(name);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.waitForSelector('#credentials-form');
    const credentials = { username: await page.inputValue('#new-username'), password: await page.inputValue('#new-password') };
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/write$/);
    return credentials;
  }

  async function signOut(page: Page) {
    await page.locator('.writer-nav').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login\?signed_out=1$/);
  }

  async function passwordStep(page: Page, username: string, password: string) {
    if (!page.url().includes('/login')) await page.goto(`${quire.url}/login`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  function lastEvent(username: string) {
    const user = getUserByUsername(quire.db, username)!;
    return listSecurityEvents(quire.db, user.id, 1)[0]!;
  }

  it('registers a passkey, then signs in with it by the button and by autofill', async () => {
    const page = await newPage();
    const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
    const owner = await enrol(page, 'Olive Owner', 'owner');

    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByLabel('Name for the new passkey (optional)').fill('This laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    // The first second factor comes with recovery codes, shown once.
    await page.waitForSelector('h1:has-text("Your recovery codes")');
    expect(recoveryCodesFrom(await page.content())).toHaveLength(10);
    await page.getByRole('link', { name: 'I have saved them' }).click();
    await page.waitForURL(/\/account$/);
    expect(await page.inputValue('.passkeys input[name="name"]')).toBe('This laptop');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    expect(credentials[0]!.rpId).toBe('localhost');

    // The button. Chrome's virtual authenticator answers every request on its own while presence
    // is simulated, the waiting autofill request too; so presence is off until that request is
    // waiting, and the button's request (which cancels it) is the one answered.
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: false });
    await signOut(page);
    await page.waitForSelector('#passkey-form[data-autofill="waiting"]', { state: 'attached' });
    expect(await page.getAttribute('#username', 'autocomplete')).toBe('username webauthn');
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: true });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(/\/write$/);
    expect(lastEvent(owner.username)).toMatchObject({ type: 'signed-in', detail: 'with the passkey “This laptop”' });

    // Autofill: the username field is marked for passkeys, and the sign-in page asks for one with
    // conditional mediation as it opens. Headless Chromium shows no suggestion list to click; the
    // virtual authenticator picks the passkey as a person would pick it from the list.
    const visited: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) visited.push(new URL(frame.url()).pathname + new URL(frame.url()).search);
    });
    await page.locator('.writer-nav').getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => visited, { timeout: 10_000 }).toEqual(['/login?signed_out=1', '/write']);
    await page.waitForLoadState();
    expect(lastEvent(owner.username)).toMatchObject({ type: 'signed-in', detail: 'with the passkey “This laptop”, chosen from autofill' });
    const { credentials: after } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(after[0]!.signCount).toBeGreaterThanOrEqual(2);

    // Ten minutes later (the session's sign-in moved back, as time would), a sensitive change asks
    // to confirm first; the passkey confirms, and the page comes back to where it was.
    quire.db.prepare('UPDATE sessions SET authenticated_at = authenticated_at - 11 * 60000').run();
    await page.goto(`${quire.url}/account`);
    await page.getByRole('button', { name: 'Make new recovery codes' }).click();
    await page.waitForURL(/\/account\/confirm\?next=%2Faccount$/);
    await page.getByRole('button', { name: 'Confirm with a passkey' }).click();
    await page.waitForURL(/\/account$/);
    await page.getByRole('button', { name: 'Make new recovery codes' }).click();
    await page.waitForSelector('h1:has-text("Your recovery codes")');
    expect(recoveryCodesFrom(await page.content())).toHaveLength(10);
  });

  it('sets up an authenticator app from the page, then signs in with password and code, and with a recovery code', async () => {
    const page = await newPage();
    const writer = await enrol(page, 'Tess Totp');
    await page.goto(`${quire.url}/account`);
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.waitForURL(/\/account\/totp\/setup$/);
    expect(await page.locator('.qr svg').count()).toBe(1);
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.screenshot({ path: screenshotPath('account-totp-setup.png'), fullPage: true });

    // A wrong code first: named, and nothing turned on.
    await page.getByLabel('Type the 6-digit code the app now shows').fill('000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.waitForSelector('#code-error');
    expect(await page.inputValue('#code')).toBe('000000');
    await page.getByLabel('Type the 6-digit code the app now shows').fill(await codeAt(secret, Date.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.waitForSelector('h1:has-text("Your recovery codes")');
    const codes = recoveryCodesFrom(await page.content());
    expect(codes).toHaveLength(10);
    expect(await page.isVisible('[data-codes-download]')).toBe(true);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('Quire-recovery-codes.txt');
    const saved = await new Promise<string>((resolve, reject) => {
      file.createReadStream().then((stream) => {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      }, reject);
    });
    for (const code of codes) expect(saved).toContain(code);
    // Copy puts the same text on the clipboard; printing shows the codes without the page around them.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: quire.url });
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.textContent('[data-codes-status]')).toContain('Copied');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(saved);
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('.site-header')).toBe(false);
    expect(await page.isVisible('[data-code-actions]')).toBe(false);
    expect(await page.isVisible('#recovery-codes')).toBe(true);
    expect(await page.isVisible('.print-only')).toBe(true);
    await page.emulateMedia({ media: 'screen' });
    await page.screenshot({ path: screenshotPath('account-recovery-codes.png'), fullPage: true });
    await page.getByRole('link', { name: 'I have saved them' }).click();
    await page.waitForURL(/\/account$/);
    expect(await page.textContent('#authenticator .badge')).toBe('On');

    // Password, then a code. The code that turned the app on was used; the next one (one step of
    // drift ahead, as a phone whose clock runs a little fast would show) is fresh.
    await signOut(page);
    await passwordStep(page, writer.username, writer.password);
    await page.waitForURL(/\/login\/verify$/);
    await page.getByLabel('6-digit code from your authenticator app').fill(await codeAt(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/write$/);
    expect(lastEvent(writer.username)).toMatchObject({ type: 'signed-in', detail: 'with password and authenticator code' });

    // Phone lost: a recovery code, typed the way a person might.
    await signOut(page);
    await passwordStep(page, writer.username, writer.password);
    await page.waitForURL(/\/login\/verify$/);
    await page.getByText('Lost your phone? Use a recovery code').click();
    await page.getByLabel('Recovery code').fill(codes[4]!.toLowerCase().replace(/-/g, ' '));
    await page.getByRole('button', { name: 'Sign in with a recovery code' }).click();
    await page.waitForURL(/\/account\?recovery_code=used$/);
    expect(await page.textContent('main')).toContain('You signed in with a recovery code. You have 9 left');
    expect(await page.textContent('#recovery-codes-left')).toBe('9');
  });

  it('gets a writer who lost everything back in with an owner-issued recovery link', async () => {
    const ownerPage = await newPage();
    await enrol(ownerPage, 'Rita Rescuer', 'owner');
    const writerPage = await newPage();
    const writer = await enrol(writerPage, 'Lou Lost');
    const stranded = writerPage.context();
    await stranded.clearCookies();

    await ownerPage.goto(`${quire.url}/members`);
    const row = ownerPage.locator('.members > li', { hasText: 'Lou Lost' });
    await row.getByRole('button', { name: 'Recovery link' }).click();
    const link = await ownerPage.inputValue('#recovery-link');
    expect(link).toMatch(/\/recover\/[A-Za-z0-9_-]{27}$/);

    // The writer, in a browser that knows nothing, opens it.
    const page = await newPage();
    await page.goto(link);
    expect(await page.textContent('h1')).toBe('Get back into your account');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForSelector('#credentials-form');
    await expect.poll(() => page.evaluate('window.__stored.length')).toBe(1);
    const stored = (await page.evaluate('window.__stored[0]')) as { id: string; password: string };
    expect(stored.id).toBe(writer.username);
    expect(stored.password).not.toBe(writer.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/account\?recovered=link$/);
    expect(await page.textContent('main')).toContain('Welcome back');

    // The link is spent; the new password (as handed to the password manager) works, the old one does not.
    await signOut(page);
    await page.goto(link);
    expect(await page.textContent('h1')).toBe('This recovery link does not work');
    await passwordStep(page, writer.username, writer.password);
    await page.waitForSelector('.notice-error');
    await passwordStep(page, stored.id, stored.password);
    await page.waitForURL(/\/write$/);
  });

  it('makes a new password through PasswordCredential and signs the other devices out', async () => {
    const page = await newPage();
    const writer = await enrol(page, 'Nina New');
    const elsewhere = await newPage();
    await passwordStep(elsewhere, writer.username, writer.password);
    await elsewhere.waitForURL(/\/write$/);

    await page.goto(`${quire.url}/account`);
    await page.getByRole('button', { name: 'Make a new password' }).click();
    await page.waitForSelector('#credentials-form');
    await expect.poll(() => page.evaluate('window.__stored.length')).toBe(1);
    const stored = (await page.evaluate('window.__stored[0]')) as { id: string; password: string };
    expect(stored.id).toBe(writer.username);
    expect(stored.password).not.toBe(writer.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/account\?done=password$/);
    expect(await page.textContent('main')).toContain('Your new password is in use.');

    await elsewhere.reload();
    expect(elsewhere.url()).toContain('/login');
    await signOut(page);
    await passwordStep(page, stored.id, stored.password);
    await page.waitForURL(/\/write$/);
  });

  it('shows the account page well on a phone and on a desktop', async () => {
    const page = await newPage();
    await addVirtualAuthenticator(page);
    const writer = await enrol(page, 'Sam Screenshot');
    const phone = await newPage({ width: 390, height: 844 });
    await passwordStep(phone, writer.username, writer.password);
    await phone.waitForURL(/\/write$/);

    // A passkey and an authenticator app, so every part of the page has something in it.
    await page.goto(`${quire.url}/account`);
    await page.getByLabel('Name for the new passkey (optional)').fill('Work laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('link', { name: 'I have saved them' }).click();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    await page.getByLabel('Type the 6-digit code the app now shows').fill(await codeAt(secret, Date.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.waitForURL(/\/account\?done=totp-on$/);

    await page.screenshot({ path: screenshotPath('account-desktop.png'), fullPage: true });
    await phone.goto(`${quire.url}/account`);
    await phone.screenshot({ path: screenshotPath('account-phone.png'), fullPage: true });
    expect(await phone.locator('.devices > li').count()).toBe(2);
    // Nothing wider than the phone's screen.
    expect(await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
  });
});

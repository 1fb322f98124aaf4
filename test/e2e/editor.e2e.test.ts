import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInvite } from '../../src/auth/invites.js';
import { getPost } from '../../src/db/posts.js';
import { describeBrowser, launchBrowser, screenshotPath, startQuire } from './browser.js';

describeBrowser('writing in a real browser', () => {
  let browser: Browser;
  let quire: Awaited<ReturnType<typeof startQuire>>;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    quire = await startQuire();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    const invite = createInvite(quire.db, quire.config.publicUrl, 'owner', null, Date.now());
    await page.goto(invite.link);
    await page.getByLabel('Your name, as readers will see it').fill('Mary Shelley');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/write$/);
  });
  afterAll(async () => {
    await browser?.close();
    await quire?.close();
  });

  const postId = () => Number(new URL(page.url()).pathname.split('/').pop());
  const status = () => page.textContent('#save-status');

  it('types into Quill, autosaves, and finds the text after a reload', async () => {
    await page.getByRole('button', { name: 'New post' }).click();
    await page.waitForURL(/\/write\/\d+$/);
    await page.getByPlaceholder('Title').fill('A walk by the lake');
    await page.click('.ql-editor');
    await page.keyboard.type('The water was still and grey. ');
    await page.keyboard.press('Control+b');
    await page.keyboard.type('Nobody');
    await page.keyboard.press('Control+b');
    await page.keyboard.type(' else was there.');
    await expect.poll(status, { timeout: 10_000 }).toMatch(/^Saved \d/);
    expect(await page.inputValue('#slug')).toBe('a-walk-by-the-lake');
    await page.screenshot({ path: screenshotPath('editor-desktop.png') });

    await page.reload();
    expect(await page.inputValue('#title')).toBe('A walk by the lake');
    expect(await page.innerHTML('.ql-editor')).toContain('<strong>Nobody</strong> else was there.');
    const post = getPost(quire.db, postId())!;
    expect(post.html).toContain('<strong>Nobody</strong>');
    expect(await page.evaluate('localStorage.length')).toBe(0);
  });

  it('keeps writing offline and loses nothing when the network returns', async () => {
    await context.setOffline(true);
    await page.click('.ql-editor');
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' Offline words stay.');
    await expect.poll(status, { timeout: 10_000 }).toBe('Offline — kept on this device');
    const kept = JSON.parse((await page.evaluate(`localStorage.getItem('quire:post:${postId()}')`)) as string);
    expect(kept.html).toContain('Offline words stay.');
    expect(getPost(quire.db, postId())!.html).not.toContain('Offline words stay.');

    await context.setOffline(false);
    await expect.poll(status, { timeout: 15_000 }).toMatch(/^Saved \d/);
    expect(getPost(quire.db, postId())!.html).toContain('Offline words stay.');
  });

  it('brings back text the server never got when the tab is reopened', async () => {
    await context.setOffline(true);
    await page.click('.ql-editor');
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' Typed before the tab closed.');
    await expect.poll(status, { timeout: 10_000 }).toBe('Offline — kept on this device');
    const url = page.url();
    await page.close();
    await context.setOffline(false);
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(url);
    await expect.poll(status, { timeout: 15_000 }).toMatch(/^Saved \d/);
    expect(getPost(quire.db, postId())!.html).toContain('Typed before the tab closed.');
  });

  it('tells the writer when the post changed in another tab and overwrites nothing', async () => {
    const other = await context.newPage();
    await other.goto(page.url());
    await other.click('.ql-editor');
    await other.keyboard.press('Control+End');
    await other.keyboard.type(' From the other tab.');
    await expect.poll(() => other.textContent('#save-status'), { timeout: 10_000 }).toMatch(/^Saved \d/);
    await other.close();

    await page.click('.ql-editor');
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' From this tab.');
    await expect.poll(() => page.isVisible('#conflict'), { timeout: 10_000 }).toBe(true);
    const stored = getPost(quire.db, postId())!.html;
    expect(stored).toContain('From the other tab.');
    expect(stored).not.toContain('From this tab.');
    await page.getByRole('button', { name: 'Keep my version' }).click();
    await expect.poll(status, { timeout: 10_000 }).toMatch(/^Saved \d/);
    expect(getPost(quire.db, postId())!.html).toContain('From this tab.');
  });

  it('publishes; the public page requests no script and the post is in the feed', async () => {
    await page.getByRole('button', { name: 'Publish now' }).click();
    await page.waitForURL(/done=published/);
    const post = getPost(quire.db, postId())!;
    expect(post.status).toBe('published');

    const reader = await browser.newContext();
    const readerPage = await reader.newPage();
    const requests: { url: string; type: string }[] = [];
    readerPage.on('request', (r) => requests.push({ url: r.url(), type: r.resourceType() }));
    const response = await readerPage.goto(`${quire.url}/posts/${post.slug}`);
    expect(response!.status()).toBe(200);
    expect(await readerPage.textContent('h1')).toBe('A walk by the lake');
    expect(await readerPage.textContent('article')).toContain('Nobody else was there.');
    expect(requests.filter((r) => r.type === 'script')).toEqual([]);
    expect(requests.every((r) => r.url.startsWith(quire.url))).toBe(true);
    expect(await readerPage.locator('script').count()).toBe(0);
    await readerPage.screenshot({ path: screenshotPath('post-desktop.png'), fullPage: true });
    await readerPage.setViewportSize({ width: 390, height: 844 });
    await readerPage.screenshot({ path: screenshotPath('post-phone.png'), fullPage: true });

    const feed = await (await fetch(`${quire.url}/feed.xml`)).text();
    expect(feed).toContain('<title><![CDATA[A walk by the lake]]></title>');
    expect(feed).toContain('Nobody');
    await reader.close();
  });

  it('shows the dashboard on phone and desktop sizes', async () => {
    const postId = getPost(quire.db, 1)!.id;
    await page.goto(`${quire.url}/write`);
    await page.screenshot({ path: screenshotPath('dashboard-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: screenshotPath('dashboard-phone.png'), fullPage: true });
    expect(await page.textContent('h1')).toBe('All posts');
    expect(await page.textContent('table.posts')).toContain('A walk by the lake');
    await page.goto(`${quire.url}/write/${postId}`);
    await page.screenshot({ path: screenshotPath('editor-phone.png'), fullPage: true });
  });
});

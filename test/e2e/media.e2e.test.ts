import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInvite } from '../../src/auth/invites.js';
import { getPost } from '../../src/db/posts.js';
import { TEXT_AS_JPEG, makeImage } from '../fixtures/images.js';
import { describeBrowser, launchBrowser, screenshotPath, startQuire } from './browser.js';

/**
 * Browser code as a string (functions passed to page.evaluate can trip over the bundler's
 * helpers): pastes a file made in the page from these bytes, as the system clipboard would.
 */
function pasteFile(base64: string, name: string, type: string): string {
  return `(() => {
    const binary = atob(${JSON.stringify(base64)});
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const data = new DataTransfer();
    data.items.add(new File([bytes], ${JSON.stringify(name)}, { type: ${JSON.stringify(type)} }));
    const editor = document.querySelector('.ql-editor');
    editor.focus();
    return editor.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  })()`;
}

/** Drops a file made in the page at the end of the editor's first line, as dragging it from the desktop would. */
function dropFile(base64: string, name: string, type: string): string {
  return `(() => {
    const binary = atob(${JSON.stringify(base64)});
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const data = new DataTransfer();
    data.items.add(new File([bytes], ${JSON.stringify(name)}, { type: ${JSON.stringify(type)} }));
    const box = document.querySelector('.ql-editor > p').getBoundingClientRect();
    const at = { clientX: box.right - 2, clientY: box.top + box.height / 2 };
    return document.querySelector('.ql-editor').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true, ...at }));
  })()`;
}

/** Pastes HTML, as copying from a web page or a word processor does. */
function pasteHtml(html: string): string {
  return `(() => {
    const data = new DataTransfer();
    data.setData('text/html', ${JSON.stringify(html)});
    data.setData('text/plain', 'pasted');
    const editor = document.querySelector('.ql-editor');
    editor.focus();
    return editor.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  })()`;
}

describeBrowser('pictures in the editor, in a real browser', () => {
  let browser: Browser;
  let quire: Awaited<ReturnType<typeof startQuire>>;
  let context: BrowserContext;
  let page: Page;
  let postId: number;

  beforeAll(async () => {
    browser = await launchBrowser();
    quire = await startQuire();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    const invite = createInvite(quire.db, quire.config.publicUrl, 'owner', null, Date.now());
    await page.goto(invite.link);
    await page.getByLabel('Your name, as readers will see it').fill('Mary Shelley');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/write$/);
    await page.getByRole('button', { name: 'New post' }).click();
    await page.waitForURL(/\/write\/\d+$/);
    postId = Number(new URL(page.url()).pathname.split('/').pop());
  });
  afterAll(async () => {
    await browser?.close();
    await quire?.close();
  });

  const status = () => page.textContent('#save-status');
  const mediaFiles = () => readdirSync(path.join(quire.dataDir, 'media'));

  it('uploads a pasted photo, asks for its description, and puts a normal <img> in the text', async () => {
    await page.getByPlaceholder('Title').fill('The lake in winter');
    await page.click('.ql-editor');
    await page.keyboard.type('The lake froze early this year.');
    await page.keyboard.press('Enter');

    const photo = await makeImage('jpeg', 2400, 1600);
    expect(await page.evaluate(pasteFile(photo.toString('base64'), 'IMG_0042.jpg', 'image/jpeg'))).toBe(false);

    // The description is asked in a dialog of the page (not window.prompt), showing the picture.
    const dialog = page.getByRole('dialog', { name: 'Describe this picture' });
    await dialog.waitFor();
    const preview = dialog.locator('#alt-preview');
    await expect.poll(() => preview.evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath('editor-alt-dialog-desktop.png') });
    await dialog.getByLabel('Description').fill('Ice on the lake, with reeds along the shore');
    await dialog.getByRole('button', { name: 'Save description' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const img = page.locator('.ql-editor img');
    await expect.poll(() => img.count()).toBe(1);
    expect(await img.getAttribute('src')).toMatch(/^\/media\/[0-9a-f]{32}\.jpg$/);
    await expect.poll(() => img.getAttribute('alt')).toBe('Ice on the lake, with reeds along the shore');
    expect([await img.getAttribute('width'), await img.getAttribute('height')]).toEqual(['1600', '1067']);
    await page.keyboard.type('Nobody skated.');

    await expect.poll(status, { timeout: 10_000 }).toMatch(/^Saved \d/);
    const post = getPost(quire.db, postId)!;
    expect(post.html).not.toContain('data:');
    expect(post.html).toMatch(
      /<img src="\/media\/[0-9a-f]{32}\.jpg" alt="Ice on the lake, with reeds along the shore" width="1600" height="1067" srcset="[^"]+ 1600w, [^"]+ 800w" sizes="[^"]+" \/>/,
    );
    expect(mediaFiles()).toHaveLength(2);

    await page.screenshot({ path: screenshotPath('editor-image-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await img.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('editor-image-phone.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('uploads a picture chosen with the toolbar button, dropped, or embedded in pasted HTML, and says plainly when a file is refused', async () => {
    await page.click('.ql-editor');
    await page.keyboard.press('Control+End');
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Add a picture' }).click();
    await (await chooser).setFiles({ name: 'chart.png', mimeType: 'image/png', buffer: await makeImage('png', 600, 400) });
    const dialog = page.getByRole('dialog', { name: 'Describe this picture' });
    await dialog.waitFor();
    // "No description": a decorative picture, alt="".
    await dialog.getByRole('button', { name: 'No description' }).click();
    await expect.poll(() => page.locator('.ql-editor img').count()).toBe(2);
    // The dialog's close event (which sets alt) fires as its own task after the click.
    await expect.poll(() => page.locator('.ql-editor img').nth(1).getAttribute('alt')).toBe('');

    // Dropped from the desktop: uploaded the same way.
    await page.evaluate(dropFile((await makeImage('webp', 500, 500)).toString('base64'), 'drop.webp', 'image/webp'));
    await dialog.waitFor();
    await dialog.getByLabel('Description').fill('A dropped square');
    await dialog.getByLabel('Description').press('Enter');
    await expect.poll(() => page.locator('.ql-editor img').count()).toBe(3);
    expect(await page.locator('.ql-editor img[alt="A dropped square"]').getAttribute('src')).toMatch(/^\/media\/[0-9a-f]{32}\.webp$/);

    // Pasted HTML with an embedded picture (as some apps copy): uploaded too, never kept as data:.
    const gif = (await makeImage('gif', 120, 80)).toString('base64');
    await page.click('.ql-editor');
    await page.keyboard.press('Control+End');
    await page.evaluate(pasteHtml(`<p>From a document:</p><img src="data:image/gif;base64,${gif}" alt="">`));
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'No description' }).click();
    await expect.poll(() => page.locator('.ql-editor img').count()).toBe(4);
    expect(await page.locator('.ql-editor img[src^="data:"]').count()).toBe(0);
    expect(await page.locator('.ql-editor img[src$=".gif"]').count()).toBe(1);

    // A text file renamed to .jpg: refused by the server for what its bytes are, and nothing inserted.
    await page.evaluate(pasteFile(TEXT_AS_JPEG.toString('base64'), 'holiday.jpg', 'image/jpeg'));
    const error = page.getByRole('alert').filter({ hasText: 'holiday.jpg' });
    await error.waitFor();
    expect(await error.textContent()).toMatch(/“holiday\.jpg” was not added\. This file is not a picture Quire can use\. Quire accepts JPEG, PNG, WebP and GIF/);
    await page.screenshot({ path: screenshotPath('editor-upload-error-desktop.png') });
    await page.getByRole('button', { name: 'OK' }).click();
    await error.waitFor({ state: 'hidden' });
    expect(await page.locator('.ql-editor img').count()).toBe(4);
    await expect.poll(status, { timeout: 10_000 }).toMatch(/^Saved \d/);
    expect(getPost(quire.db, postId)!.html).not.toContain('data:');
    // JPEG (2 sizes), PNG, WebP, GIF.
    expect(mediaFiles()).toHaveLength(5);
  });

  it('publishes: the public page has the picture at an absolute URL with width and height, and so does the feed', async () => {
    await page.getByRole('button', { name: 'Publish now' }).click();
    await page.waitForURL(/done=published/);
    const post = getPost(quire.db, postId)!;
    expect(post.status).toBe('published');

    const reader = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const readerPage = await reader.newPage();
    const response = await readerPage.goto(`${quire.url}/posts/${post.slug}`);
    expect(response!.status()).toBe(200);
    const img = readerPage.locator('article img[alt="Ice on the lake, with reeds along the shore"]');
    expect(await img.getAttribute('src')).toMatch(new RegExp(`^${quire.url}/media/[0-9a-f]{32}\\.jpg$`));
    expect(await img.getAttribute('alt')).toBe('Ice on the lake, with reeds along the shore');
    expect([await img.getAttribute('width'), await img.getAttribute('height')]).toEqual(['1600', '1067']);
    expect(await img.getAttribute('srcset')).toContain(`${quire.url}/media/`);
    // Loaded for real (the phone-sized page may choose the 800 px file), and laid out in proportion.
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBeGreaterThan(0);
    const box = (await img.boundingBox())!;
    expect(Math.abs(box.width / box.height - 1600 / 1067)).toBeLessThan(0.02);
    expect(await readerPage.locator('script').count()).toBe(0);
    await readerPage.screenshot({ path: screenshotPath('post-image-phone.png'), fullPage: true });

    const feed = await (await fetch(`${quire.url}/feed.xml`)).text();
    const src = (await img.getAttribute('src'))!;
    expect(feed).toContain(`<img src="${src}" alt="Ice on the lake, with reeds along the shore" width="1600" height="1067"`);
    await reader.close();
  });
});

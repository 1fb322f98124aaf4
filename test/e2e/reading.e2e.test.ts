// Readers in a real Chromium, against Quire served as server.ts serves it (page cache in front):
// every public page loads with no script and nothing from anywhere but this blog, passes axe-core
// in light and dark mode, and looks right on a phone and a desk.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DAY, HOUR } from '../../src/lib/clock.js';
import { projectRoot } from '../../src/lib/paths.js';
import { edit, makeWriter, publish } from '../reading-fixtures.js';
import { describeBrowser, launchBrowser, screenshotPath, startQuire } from './browser.js';

const AXE = readFileSync(path.join(projectRoot(), 'node_modules/axe-core/axe.min.js'), 'utf8');

const RICH_POST = `
<p>The lake was still when we set out, and the light came slowly over the hills behind the boathouse. This is a long
paragraph on purpose: readers spend most of their time in text like this, so its measure, line height and colour matter
more than anything else on the page. A <a href="/posts/winter-notes">link to another post</a>, some <strong>bold
words</strong>, some <em>emphasis</em> and a bit of <code>inline code</code> sit in it.</p>
<h2>What we packed</h2>
<ul><li>A thermos of tea, strong enough to stand a spoon in.</li><li>Two maps, one of them wrong.</li><li>A notebook that stayed dry.</li></ul>
<p>Nobody else was there. The water was grey and the path along the western shore had been washed away in places, so we
climbed over roots and stones and stopped often.</p>
<blockquote><p>“The best walks are the ones where you forget to look at the time.”</p></blockquote>
<h3>The route, step by step</h3>
<ol><li>Leave the car park by the north gate.</li><li>Follow the shore until the second bridge.</li><li>Turn uphill at the ruined wall.</li></ol>
<pre><code>distance: 14.2 km
ascent:   410 m
time:     5 h 20 min, with stops for tea</code></pre>
<p>See <a href="https://example.org/lakes">the lakes guide</a> for the full map. We will go back in spring.</p>`;

describeBrowser('reading in a real browser', () => {
  let browser: Browser;
  let quire: Awaited<ReturnType<typeof startQuire>>;
  let postPath: string;
  const year = new Date().getUTCFullYear();

  beforeAll(async () => {
    browser = await launchBrowser();
    quire = await startQuire({}, { publicHost: '127.0.0.1' });
    const mary = makeWriter(quire.db, 'Mary Shelley');
    const ada = makeWriter(quire.db, 'Ada Lovelace');
    // Recent enough that the archive has this year and last: dates are real, the server's clock is.
    const start = Date.now() - 400 * DAY;
    const topics = ['Walking', 'Lakes', 'Weather', 'Books', 'Engines'];
    for (let i = 0; i < 13; i++) {
      const writer = i % 3 === 0 ? ada : mary;
      publish(quire.db, writer, start + i * 25 * DAY, {
        title: i === 4 ? 'Winter notes' : `Letter ${i + 1}: on ${topics[i % topics.length]!.toLowerCase()} and what they teach a patient observer`,
        html: `<p>${'Short paragraphs of plain words, as in any letter to a friend far away. '.repeat(4)}</p><p>Second paragraph about ${topics[i % 5]}.</p>`,
        tags: [topics[i % topics.length]!, topics[(i + 2) % topics.length]!],
      });
    }
    const walk = publish(quire.db, mary, Date.now() - 2 * DAY, {
      title: 'A walk by the lake, and what the water said about the weather',
      excerpt: 'Fourteen kilometres around a grey lake, two maps and a thermos of tea.',
      html: RICH_POST,
      tags: ['Walking', 'Lakes', 'Weather'],
    });
    const updated = edit(quire.db, mary, walk, Date.now() - HOUR, { html: RICH_POST + '<p><em>Updated:</em> the bridge is open again.</p>' }, true);
    postPath = `/posts/${updated.slug}`;
  });
  afterAll(async () => {
    await browser?.close();
    await quire?.close();
  });

  const pages = () => [
    { name: 'home', path: '/' },
    { name: 'home page 2', path: '/?page=2' },
    { name: 'post', path: postPath },
    { name: 'search', path: '/search?q=lake' },
    { name: 'archive', path: '/archive' },
    { name: 'year', path: `/archive/${year}` },
    { name: 'tag', path: '/tags/walking' },
    { name: 'author', path: '/authors/mary-shelley' },
    { name: 'about', path: '/about' },
    { name: 'not found', path: '/posts/no-such-post' },
  ];

  /** Opens a page and records every request it makes and where each answer came from. */
  async function open(page: Page, pathname: string) {
    const requests: { url: string; type: string }[] = [];
    const servers: string[] = [];
    page.on('request', (request) => requests.push({ url: request.url(), type: request.resourceType() }));
    page.on('response', (response) => {
      void response.serverAddr().then((addr) => servers.push(addr?.ipAddress ?? 'unknown'));
    });
    const response = await page.goto(quire.url + pathname, { waitUntil: 'networkidle' });
    return { response: response!, requests, servers };
  }

  it('loads every public page with no script and no request beyond this blog', async () => {
    const context = await browser.newContext();
    try {
      for (const { name, path: pathname } of pages()) {
        const page = await context.newPage();
        const { response, requests, servers } = await open(page, pathname);
        expect(response.status(), name).toBe(name === 'not found' ? 404 : 200);
        expect(await page.locator('script').count(), name).toBe(0);
        expect(requests.filter((r) => r.type === 'script'), name).toEqual([]);
        // The page, its stylesheet and its icon: all from this blog.
        for (const request of requests) expect(new URL(request.url).origin, `${name}: ${request.url}`).toBe(quire.url);
        expect(requests.map((r) => r.type).sort(), name).toEqual(expect.arrayContaining(['document', 'stylesheet']));
        await expect.poll(() => servers.length).toBeGreaterThanOrEqual(requests.length);
        for (const server of servers) expect(server, name).toBe('127.0.0.1');
        // The stylesheet's URL carries its hash and may be kept forever.
        const css = requests.find((r) => r.type === 'stylesheet')!;
        expect(css.url).toMatch(/\/static\/app\.[0-9a-f]{12}\.css$/);
        await page.close();
      }
      const css = await fetch(quire.url + new URL((await (await fetch(quire.url)).text()).match(/<link rel="stylesheet" href="([^"]+)"/)![1]!, quire.url).pathname);
      expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    } finally {
      await context.close();
    }
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe-core violations in ${scheme} mode`, async () => {
      // axe is injected as an inline script, which the blog's CSP rightly refuses: bypassed for the audit only.
      const context = await browser.newContext({ bypassCSP: true, colorScheme: scheme });
      try {
        const found: string[] = [];
        for (const { name, path: pathname } of pages()) {
          const page = await context.newPage();
          await page.emulateMedia({ colorScheme: scheme });
          await page.goto(quire.url + pathname, { waitUntil: 'networkidle' });
          expect(await page.evaluate(`matchMedia('(prefers-color-scheme: dark)').matches`)).toBe(scheme === 'dark');
          await page.addScriptTag({ content: AXE });
          const { violations, passes } = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => ({
            passes: r.passes.length,
            violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })),
          }))`)) as { passes: number; violations: { id: string; impact: string; help: string; nodes: string[] }[] };
          // axe really looked: colour contrast among the rules it checked and passed.
          expect(passes, name).toBeGreaterThan(10);
          for (const v of violations) {
            if (v.impact === 'serious' || v.impact === 'critical') found.push(`${name} (${scheme}): ${v.id} [${v.impact}] ${v.help} at ${v.nodes.join(', ')}`);
          }
          await page.close();
        }
        expect(found).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('searches with the plain form and highlights what it found', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${quire.url}/`);
      await page.getByRole('link', { name: 'Search' }).first().click();
      await page.getByLabel('Search posts').fill('thermos');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/\/search\?q=thermos$/);
      expect(await page.getByRole('status').textContent()).toBe('1 result for “thermos”.');
      expect(await page.locator('.results mark').first().textContent()).toBe('thermos');
      await page.locator('.results h2 a').first().click();
      await page.waitForURL(new RegExp(`${postPath}$`));
      expect(await page.textContent('.byline')).toMatch(/Updated/);
      expect(await page.locator('.post .tags a').allTextContents()).toEqual(['Walking', 'Lakes', 'Weather']);
      // Previous and next: the newest post has only an older neighbour.
      expect(await page.locator('.adjacent a').count()).toBe(1);
      await page.getByRole('link', { name: /Older/ }).click();
      await page.waitForURL(/\/posts\/letter-13/);
    } finally {
      await context.close();
    }
  });

  it('takes screenshots of home and a post on a phone and a desktop, light and dark', async () => {
    const sizes = [
      { name: 'phone', viewport: { width: 390, height: 844 } },
      { name: 'desktop', viewport: { width: 1280, height: 900 } },
    ];
    for (const { name, viewport } of sizes) {
      for (const scheme of ['light', 'dark'] as const) {
        const context: BrowserContext = await browser.newContext({ viewport, colorScheme: scheme, deviceScaleFactor: name === 'phone' ? 2 : 1 });
        try {
          const page = await context.newPage();
          const suffix = scheme === 'dark' ? '-dark' : '';
          await page.goto(quire.url + postPath, { waitUntil: 'networkidle' });
          await page.screenshot({ path: screenshotPath(`reading-post-${name}${suffix}.png`), fullPage: true });
          await page.goto(`${quire.url}/`, { waitUntil: 'networkidle' });
          await page.screenshot({ path: screenshotPath(`reading-home-${name}${suffix}.png`), fullPage: scheme === 'light' });
          if (scheme === 'light') {
            for (const [file, pathname] of [['search', '/search?q=lake'], ['archive', `/archive/${year}`]] as const) {
              await page.goto(quire.url + pathname, { waitUntil: 'networkidle' });
              await page.screenshot({ path: screenshotPath(`reading-${file}-${name}.png`) });
            }
          }
          // Nothing wider than the screen: no sideways scrolling on a phone.
          for (const pathname of ['/', postPath, '/archive', `/archive/${year}`, '/search?q=lake']) {
            await page.goto(quire.url + pathname);
            expect(await page.evaluate('document.documentElement.scrollWidth'), `${name} ${pathname}`).toBeLessThanOrEqual(viewport.width);
          }
        } finally {
          await context.close();
        }
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { getSettings } from '../../src/db/settings.js';
import { canonicalLanguage } from '../../src/routes/settings.js';
import { enrol, inputValue, makeApp } from '../helpers.js';

const VALID = { title: 'Field Notes', description: 'Short essays from the field.', language: 'en-GB', about: 'We are three writers.\n\nWe write on Sundays.' };

describe('blog settings', () => {
  it('lets an owner change title, description, language and about text, and readers see them', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    const form = await client.get('/settings');
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(inputValue(html, 'title')).toBe('Quire');
    expect(inputValue(html, 'language')).toBe('en');
    expect(html).toContain('<meta name="robots" content="noindex, nofollow"/>');
    expect(form.headers.get('cache-control')).toBe('no-store');

    const saved = await client.post('/settings', VALID);
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/settings?saved=1');
    expect(getSettings(ctx.db)).toEqual(VALID);
    const after = await (await client.get('/settings?saved=1')).text();
    expect(after).toContain('Saved.');
    expect(inputValue(after, 'title')).toBe('Field Notes');
    expect(after).toContain('We are three writers.\n\nWe write on Sundays.</textarea>');

    const home = await (await ctx.client.get('/')).text();
    expect(home).toContain('<html lang="en-GB">');
    expect(home).toContain('<title>Field Notes</title>');
    expect(home).toContain('<p class="lead">Short essays from the field.</p>');
    const about = await (await ctx.client.get('/about')).text();
    expect(about).toContain('<p>We are three writers.</p>');
    expect(about).toContain('<p>We write on Sundays.</p>');
    const feed = await (await ctx.client.get('/feed.xml')).text();
    expect(feed).toContain('<title>Field Notes</title>');
    expect(feed).toContain('<language>en-GB</language>');
  });

  it('re-renders with the values kept and each error named, status 400, and saves nothing', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    const response = await client.post('/settings', {
      title: '   ',
      description: 'd'.repeat(301),
      language: 'english please',
      about: 'Kept <b>as typed</b>',
    });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('3 settings need another look; nothing was saved yet.');
    expect(html).toContain('id="title-error"');
    expect(html).toContain('Give the blog a title');
    expect(html).toContain('Keep the description to 300 characters or fewer.');
    expect(html).toContain('“english please” is not a language tag.');
    expect(html).toContain('aria-invalid="true"');
    expect(inputValue(html, 'language')).toBe('english please');
    expect(inputValue(html, 'description')).toBe('d'.repeat(301));
    expect(html).toContain('Kept &lt;b&gt;as typed&lt;/b&gt;</textarea>');
    expect(getSettings(ctx.db).title).toBe('Quire');
  });

  it('stores language tags in canonical form and refuses malformed ones', async () => {
    expect(canonicalLanguage('EN-gb')).toBe('en-GB');
    expect(canonicalLanguage('pt-br')).toBe('pt-BR');
    expect(canonicalLanguage('zh-hant-tw')).toBe('zh-Hant-TW');
    expect(canonicalLanguage('sr-Latn')).toBe('sr-Latn');
    for (const bad of ['', 'e', 'english', 'en_GB', 'en-', '-en', 'en--GB', 'x', 'en GB', '"><script>', 'a'.repeat(40)]) {
      expect(canonicalLanguage(bad), bad).toBeNull();
    }
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    expect((await client.post('/settings', { ...VALID, language: 'FR-ca' })).status).toBe(303);
    expect(getSettings(ctx.db).language).toBe('fr-CA');
  });

  it('cleans what it stores: one-line fields lose line breaks and control characters', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    await client.post('/settings', { ...VALID, title: ' Field\r\n  Notes\u0000 ', about: 'One\r\n\r\n\r\n\r\nTwo\u0007' });
    expect(getSettings(ctx.db).title).toBe('Field Notes');
    expect(getSettings(ctx.db).about).toBe('One\n\nTwo');
  });

  it('is for owners only', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    expect((await client.get('/settings')).status).toBe(403);
    expect((await client.post('/settings', VALID)).status).toBe(403);
    const anonymous = await ctx.client.get('/settings');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/login?next=%2Fsettings');
    expect((await ctx.client.post('/settings', VALID)).status).toBe(303);
    expect(getSettings(ctx.db).title).toBe('Quire');
  });

  it('refuses a cross-site form post', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    const response = await client.post('/settings', VALID, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(response.status).toBe(403);
    expect(getSettings(ctx.db).title).toBe('Quire');
  });
});

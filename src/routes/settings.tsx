import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../context.js';
import { authorForUser } from '../db/posts.js';
import { describeImport, importGhost, ImportError, MAX_IMPORT_BYTES } from '../import/ghost.js';
import { extractDataImagesInJson, mediaDirectory } from '../lib/media-store.js';
import { tarGzStream } from '../lib/archive.js';
import { buildBlogExport } from '../ops/export.js';
import { keepOriginalImages, setKeepOriginalImages } from '../db/media.js';
import { getSettings, saveSettings, type BlogSettings } from '../db/settings.js';
import { chrome, readForm, renderPage, type FormFields } from '../lib/http.js';
import { SETTINGS_LIMITS, SettingsPage, type SettingsErrors } from '../../views/settings.js';
import { requireOwner, requireUser } from './guards.js';

export function settingsRoutes() {
  const app = new Hono<AppEnv>();
  app.use('/settings', requireUser, requireOwner);
  app.use('/settings/*', requireUser, requireOwner);

  app.get('/settings', (c) =>
    renderPage(
      c,
      SettingsPage({
        chrome: chrome(c),
        values: getSettings(c.var.deps.db),
        keepOriginals: keepOriginalImages(c.var.deps.db),
        saved: c.req.query('saved') === '1',
      }),
    ),
  );

  app.post('/settings', async (c) => {
    const form = await readForm(c);
    const { values, errors } = checkSettings(form);
    if (Object.keys(errors).length > 0) return page(c, values, errors, form.keep_originals === '1');
    saveSettings(c.var.deps.db, values);
    setKeepOriginalImages(c.var.deps.db, form.keep_originals === '1');
    return c.redirect('/settings?saved=1', 303);
  });

  // ── Import and export ─────────────────────────────────────────────────────
  // The result page is rendered, not redirected to: the report exists only now. Sending the
  // form again is harmless, because a second import of the same file adds nothing.
  const importPage = (c: Context<AppEnv>, result: { importReport?: string[]; importError?: string }, status: number) => {
    const { db } = c.var.deps;
    return renderPage(c, SettingsPage({ chrome: chrome(c), values: getSettings(db), keepOriginals: keepOriginalImages(db), ...result }), status);
  };

  app.post(
    '/settings/import',
    // Ghost exports are larger than the app-wide 1 MB; the extra room is the multipart framing (app.ts exempts this path).
    bodyLimit({
      maxSize: MAX_IMPORT_BYTES + 64 * 1024,
      onError: (c) => importPage(c, { importError: 'That file is larger than 50 MB, the most Quire imports. Nothing was imported.' }, 413),
    }),
    async (c) => {
      const { db, config, clock } = c.var.deps;
      let file: unknown;
      try {
        file = (await c.req.parseBody()).file;
      } catch {
        file = undefined;
      }
      if (!(file instanceof File) || file.size === 0) {
        return importPage(c, { importError: 'Choose the .json file Ghost exported (Settings → Labs → Export your content), then press Import.' }, 400);
      }
      try {
        const now = clock.now();
        // Pictures embedded as data: URLs become media files first (async, outside the import's transaction).
        const { json } = await extractDataImagesInJson(new Uint8Array(await file.arrayBuffer()), { db, dataDir: config.dataDir, now, userId: c.var.user!.id });
        // One transaction around both, so a bad file does not even leave the owner's byline behind.
        const report = db
          .transaction(() =>
            importGhost(db, json, {
              publicOrigin: config.origin,
              now,
              // Posts whose Ghost author is unknown carry the importing owner's byline.
              fallbackAuthor: authorForUser(db, c.var.user!),
            }),
          )
          .immediate();
        return importPage(c, { importReport: describeImport(report) }, 200);
      } catch (error) {
        if (error instanceof ImportError) return importPage(c, { importError: error.message }, 400);
        throw error;
      }
    },
  );

  app.get('/settings/export', async (c) => {
    const { db, config, clock } = c.var.deps;
    const now = clock.now();
    const blog = buildBlogExport(db, config.publicUrl, now, mediaDirectory(config.dataDir));
    c.header('Content-Type', 'application/gzip');
    c.header('Content-Disposition', `attachment; filename="${blog.filename}"`);
    c.header('Cache-Control', 'no-store');
    // Streamed: the pictures are read from disk as the download goes, never all held in memory.
    return c.body(tarGzStream(blog.entries, now));
  });

  return app;
}

function page(c: Context<AppEnv>, values: BlogSettings, errors: SettingsErrors, keepOriginals: boolean) {
  return renderPage(c, SettingsPage({ chrome: chrome(c), values, keepOriginals, errors }), 400);
}

// Line breaks belong only in the about text; other control characters nowhere.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** The form's values, cleaned, and what is wrong with them in words an owner understands. */
export function checkSettings(form: FormFields): { values: BlogSettings; errors: SettingsErrors } {
  const line = (value: string | undefined) => (value ?? '').replace(CONTROL, '').replace(/\s+/g, ' ').trim();
  const values: BlogSettings = {
    title: line(form.title),
    description: line(form.description),
    language: line(form.language),
    about: (form.about ?? '')
      .replace(/\r\n?/g, '\n')
      .replace(CONTROL, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
  };
  const errors: SettingsErrors = {};
  if (values.title === '') errors.title = 'Give the blog a title; it is shown on every page and in feeds.';
  else if (values.title.length > SETTINGS_LIMITS.title) errors.title = `Keep the title to ${SETTINGS_LIMITS.title} characters or fewer.`;
  if (values.description.length > SETTINGS_LIMITS.description) {
    errors.description = `Keep the description to ${SETTINGS_LIMITS.description} characters or fewer.`;
  }
  const language = canonicalLanguage(values.language);
  if (language === null) {
    errors.language = `“${values.language}” is not a language tag. Use one such as en, en-GB, fr or pt-BR.`;
  } else {
    values.language = language;
  }
  if (values.about.length > SETTINGS_LIMITS.about) errors.about = `Keep the about text to ${SETTINGS_LIMITS.about} characters or fewer.`;
  return { values, errors };
}

/**
 * A well-formed BCP 47 tag in its canonical case ("EN-gb" → "en-GB"), or null. The tag goes
 * into <html lang> and every feed, so it is checked by the platform's own BCP 47 parser; the
 * language itself must be an ISO 639 code (2 or 3 letters), which also turns away "English".
 */
export function canonicalLanguage(tag: string): string | null {
  if (tag.length > SETTINGS_LIMITS.language || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$/.test(tag)) return null;
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical ?? null;
  } catch {
    return null;
  }
}

import type { BlogSettings } from '../src/db/settings.js';
import { FieldError, Layout, Notice, type Chrome } from './layout.js';

export type SettingsErrors = Partial<Record<keyof BlogSettings, string>>;

export interface SettingsPageProps {
  chrome: Chrome;
  values: BlogSettings;
  /** Uploads also keep a full-size copy (off unless an owner turns it on). */
  keepOriginals?: boolean;
  errors?: SettingsErrors;
  saved?: boolean;
  /** After a Ghost import: what was imported and skipped, as lines (src/import/ghost.ts describeImport). */
  importReport?: string[];
  /** A Ghost file that could not be imported, and why; nothing was changed. */
  importError?: string;
}

export const SETTINGS_LIMITS = { title: 100, description: 300, language: 35, about: 10_000 } as const;

/** The owners' page for what readers see around the posts: the blog's name, description, language and about text. */
export function SettingsPage({ chrome, values, keepOriginals = false, errors = {}, saved, importReport, importError }: SettingsPageProps) {
  const invalid = (name: keyof BlogSettings) => (errors[name] ? 'true' : undefined);
  const describedBy = (name: keyof BlogSettings, help?: string) =>
    [errors[name] ? `${name}-error` : null, help ?? null].filter(Boolean).join(' ') || undefined;
  const count = Object.keys(errors).length;
  return (
    <Layout chrome={chrome} title="Blog settings" meta={{ noindex: true }}>
      <section>
        <h1>Blog settings</h1>
        {saved ? <Notice kind="success">Saved. Readers see the new settings now.</Notice> : null}
        {count > 0 ? (
          <Notice kind="error">
            {count === 1 ? 'One setting needs' : `${count} settings need`} another look; nothing was saved yet.
          </Notice>
        ) : null}
        <form method="post" action="/settings" class="stack" novalidate>
          <label for="title">Title</label>
          <input
            id="title"
            name="title"
            type="text"
            value={values.title}
            required
            maxlength={SETTINGS_LIMITS.title}
            aria-invalid={invalid('title')}
            aria-describedby={describedBy('title')}
          />
          <FieldError id="title-error" message={errors.title} />

          <label for="description">Description</label>
          <input
            id="description"
            name="description"
            type="text"
            value={values.description}
            maxlength={SETTINGS_LIMITS.description}
            aria-invalid={invalid('description')}
            aria-describedby={describedBy('description', 'description-help')}
          />
          <p class="muted small" id="description-help">
            One sentence under the title on the home page, in search results and in link previews.
          </p>
          <FieldError id="description-error" message={errors.description} />

          <label for="language">Language</label>
          <input
            id="language"
            name="language"
            type="text"
            value={values.language}
            required
            maxlength={SETTINGS_LIMITS.language}
            autocapitalize="none"
            spellcheck={false}
            aria-invalid={invalid('language')}
            aria-describedby={describedBy('language', 'language-help')}
          />
          <p class="muted small" id="language-help">
            The language posts are written in, as a language tag: <code>en</code>, <code>en-GB</code>, <code>fr</code>,{' '}
            <code>pt-BR</code>. Screen readers and feed readers use it.
          </p>
          <FieldError id="language-error" message={errors.language} />

          <label for="about">About</label>
          <textarea
            id="about"
            name="about"
            rows={10}
            maxlength={SETTINGS_LIMITS.about}
            aria-invalid={invalid('about')}
            aria-describedby={describedBy('about', 'about-help')}
          >
            {values.about}
          </textarea>
          <p class="muted small" id="about-help">
            Shown on the About page. Plain text; leave an empty line between paragraphs.
          </p>
          <FieldError id="about-error" message={errors.about} />

          <label class="checkbox">
            <input type="checkbox" id="keep_originals" name="keep_originals" value="1" checked={keepOriginals} aria-describedby="keep-originals-help" />{' '}
            Keep a full-size copy of every uploaded picture
          </label>
          <p class="muted small" id="keep-originals-help">
            Posts always show pictures at most 1600 pixels wide. With this on, Quire also keeps each new upload at its full size
            (location and camera details are still removed), and it goes into backups. Uses more disk space.
          </p>

          <button type="submit" class="primary">
            Save settings
          </button>
        </form>
      </section>

      <section aria-labelledby="import-heading">
        <h2 id="import-heading">Import from Ghost</h2>
        {importError ? (
          <Notice kind="error">
            <p>{importError}</p>
          </Notice>
        ) : null}
        {importReport ? (
          <Notice kind="success">
            {importReport.map((line) => (
              <p>{line}</p>
            ))}
          </Notice>
        ) : null}
        <p class="muted small" id="ghost-file-help">
          In Ghost, open Settings → Labs → Export your content, and choose the .json file it gives you (up to 50 MB). Posts and
          pages keep their dates, status, addresses and tags, and their old addresses redirect here. Pictures are not in
          Ghost's export: add them again in the editor. Importing the same file twice adds nothing twice.
        </p>
        <form method="post" action="/settings/import" enctype="multipart/form-data" class="stack">
          <label for="ghost-file">Ghost export file</label>
          <input id="ghost-file" name="file" type="file" accept=".json,application/json" required aria-describedby="ghost-file-help" />
          <button type="submit">Import</button>
        </form>
      </section>

      <section aria-labelledby="export-heading">
        <h2 id="export-heading">Export everything</h2>
        <p class="muted small">
          Every post and page, drafts and trash included, as Markdown (with title, dates, author and tags at the top) and as a web
          page, plus one blog.json file with all of it for programs, in a single .tar.gz. The pictures the posts show come along in a media folder.
        </p>
        <p>
          <a href="/settings/export" class="button" download>
            Export everything
          </a>
        </p>
      </section>
    </Layout>
  );
}

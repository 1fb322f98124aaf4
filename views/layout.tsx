import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';

export interface Chrome {
  siteTitle: string;
  language: string;
  stylesheet: string;
  /** Hashed URL of a file under static/. */
  asset: (name: string) => string;
  user: { displayName: string; role: 'owner' | 'writer' } | null;
}

export interface HeadMeta {
  description?: string;
  canonical?: string;
  /** Extra tags for public pages (OpenGraph, feeds); see views/public. */
  extra?: Child;
  /** Keep the page out of search engines (previews, sign-in, writer pages). */
  noindex?: boolean;
}

export interface LayoutProps {
  chrome: Chrome;
  title: string;
  meta?: HeadMeta;
  /** Scripts for writers' pages only; public pages pass none. */
  scripts?: string[];
  styles?: string[];
  /** Wide layout for the editor. */
  wide?: boolean;
  /** Links in the header for readers (public pages). */
  nav?: Child;
  /** The site footer (public pages). */
  footer?: Child;
  children?: Child;
}

export function Layout({ chrome, title, meta, scripts = [], styles = [], wide, nav, footer, children }: LayoutProps) {
  const pageTitle = title === chrome.siteTitle ? title : `${title} · ${chrome.siteTitle}`;
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang={chrome.language}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{pageTitle}</title>
          {meta?.description ? <meta name="description" content={meta.description} /> : null}
          {meta?.canonical ? <link rel="canonical" href={meta.canonical} /> : null}
          {meta?.noindex ? <meta name="robots" content="noindex, nofollow" /> : null}
          <meta name="color-scheme" content="light dark" />
          <link rel="icon" href={chrome.asset('favicon.svg')} type="image/svg+xml" />
          <link rel="stylesheet" href={chrome.stylesheet} />
          {styles.map((href) => (
            <link rel="stylesheet" href={href} />
          ))}
          {meta?.extra}
          {chrome.user ? <script src={chrome.asset('app.js')} defer></script> : null}
          {scripts.map((src) => (
            <script src={src} defer></script>
          ))}
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="site-header">
            <div class="bar">
              <a class="site-title" href="/">
                {chrome.siteTitle}
              </a>
              {nav}
              {chrome.user ? <WriterNav role={chrome.user.role} /> : null}
            </div>
          </header>
          <main id="main" class={wide ? 'wide' : undefined}>
            {children}
          </main>
          {footer}
        </body>
      </html>
    </>
  );
}

function WriterNav({ role }: { role: 'owner' | 'writer' }) {
  return (
    <nav class="writer-nav" aria-label="Writing">
      <a href="/write">Posts</a>
      {role === 'owner' ? <a href="/members">Members</a> : null}
      {role === 'owner' ? <a href="/settings">Settings</a> : null}
      <a href="/account">Account</a>
      <form method="post" action="/logout" data-signout class="inline">
        <button type="submit" class="link">
          Sign out
        </button>
      </form>
    </nav>
  );
}

/** A form field's error, tied to its input for screen readers by id. */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <p class="field-error" id={id} role="alert">
      {message}
    </p>
  ) : null;
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'error' | 'success'; children?: Child }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

import { raw } from 'hono/html';
import { FieldError, Layout, Notice, type Chrome } from './layout.js';

export interface TotpSetupPageProps {
  chrome: Chrome;
  /** SVG markup made on the server by uqr from the otpauth URI (no user text inside). */
  qrSvg: string;
  /** The secret in groups of four, for typing into an app by hand. */
  secret: string;
  code?: string;
  error?: string;
}

export function TotpSetupPage({ chrome, qrSvg, secret, code = '', error }: TotpSetupPageProps) {
  return (
    <Layout chrome={chrome} title="Set up an authenticator app" meta={{ noindex: true }} styles={[chrome.asset('account.css')]}>
      <section class="narrow">
        <h1>Set up an authenticator app</h1>
        <ol class="steps">
          <li>
            Open your authenticator app (for example Google Authenticator, Aegis, 1Password or your phone’s password manager)
            and choose to add an account.
          </li>
          <li>
            Scan this code with it:
            <div class="qr" role="img" aria-label="QR code for your authenticator app">
              {raw(qrSvg)}
            </div>
            <p>
              Cannot scan? Type this key instead (spaces do not matter):
              <br />
              <code class="secret" id="totp-secret">
                {secret}
              </code>
            </p>
          </li>
          <li>
            <form method="post" action="/account/totp/setup" class="stack" novalidate>
              <label for="code">Type the 6-digit code the app now shows</label>
              <input
                id="code"
                name="code"
                type="text"
                value={code}
                class="code-input"
                inputmode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9 ]*"
                maxlength={9}
                required
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={error ? 'code-error' : undefined}
              />
              <FieldError id="code-error" message={error} />
              <button type="submit" class="primary">
                Turn on
              </button>
            </form>
          </li>
        </ol>
        <p>
          <a href="/account">Cancel</a>: nothing changes until the code is right.
        </p>
      </section>
    </Layout>
  );
}

export interface TotpDisablePageProps {
  chrome: Chrome;
  /** What was typed, kept when it was refused. */
  code?: string;
  error?: string;
}

export function TotpDisablePage({ chrome, code = '', error }: TotpDisablePageProps) {
  return (
    <Layout chrome={chrome} title="Turn off the authenticator app" meta={{ noindex: true }} styles={[chrome.asset('account.css')]}>
      <section class="narrow">
        <h1>Turn off the authenticator app</h1>
        <p>
          To make sure it is really you, type a current code from the app, or one of your recovery codes if you no longer have
          the app.
        </p>
        <form method="post" action="/account/totp/disable" class="stack" novalidate>
          <label for="code">Code from your authenticator app, or a recovery code</label>
          <input
            id="code"
            name="code"
            type="text"
            value={code}
            autocomplete="one-time-code"
            autocapitalize="characters"
            spellcheck={false}
            maxlength={60}
            required
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'code-error' : undefined}
          />
          <FieldError id="code-error" message={error} />
          <button type="submit" class="primary danger">
            Turn off
          </button>
        </form>
        <p>
          <a href="/account">Cancel</a>
        </p>
      </section>
    </Layout>
  );
}

export interface RecoveryCodesPageProps {
  chrome: Chrome;
  codes: string[];
  /** Why these codes appear now, in one sentence. */
  reason: string;
  siteTitle: string;
  username: string;
}

/** Shown exactly once: the codes are stored only as hashes and cannot be shown again. */
export function RecoveryCodesPage({ chrome, codes, reason, siteTitle, username }: RecoveryCodesPageProps) {
  const text = [`Recovery codes for ${username} on ${siteTitle}`, 'Each code works once.', '', ...codes, ''].join('\n');
  return (
    <Layout
      chrome={chrome}
      title="Your recovery codes"
      meta={{ noindex: true }}
      styles={[chrome.asset('account.css')]}
      scripts={[chrome.asset('account.js')]}
    >
      <section class="recovery-codes-page">
        <h1>Your recovery codes</h1>
        <p>{reason}</p>
        <Notice kind="info">
          If you lose your phone or passkey, each of these codes gets you in once. Keep them somewhere safe but separate from
          this device: printed in a drawer, or in your password manager. <strong>They are shown only now.</strong>
        </Notice>
        <p class="print-only">
          {siteTitle}: recovery codes for <code>{username}</code>
        </p>
        <ol class="recovery-codes" id="recovery-codes" data-filename={`${siteTitle.replace(/[^A-Za-z0-9]+/g, '-')}-recovery-codes.txt`}>
          {codes.map((code) => (
            <li>
              <code>{code}</code>
            </li>
          ))}
        </ol>
        <textarea id="recovery-codes-text" class="visually-hidden" readonly aria-hidden="true" tabindex={-1}>
          {text}
        </textarea>
        <div class="code-actions no-print" hidden data-code-actions>
          <button type="button" class="secondary" data-codes-copy>
            Copy
          </button>
          <button type="button" class="secondary" data-codes-download>
            Download
          </button>
          <button type="button" class="secondary" data-codes-print>
            Print
          </button>
          <span role="status" aria-live="polite" data-codes-status></span>
        </div>
        <p class="no-print">
          <a href="/account" class="button-link">
            I have saved them
          </a>
        </p>
      </section>
    </Layout>
  );
}

import { FieldError, Layout, Notice, type Chrome } from './layout.js';

export interface LoginPageProps {
  chrome: Chrome;
  username?: string;
  next?: string;
  error?: string;
  info?: string;
  /** Just signed out: the page must not sign the person straight back in. */
  signedOut?: boolean;
}

export function LoginPage({ chrome, username = '', next, error, info, signedOut }: LoginPageProps) {
  return (
    <Layout
      chrome={chrome}
      title="Sign in"
      meta={{ noindex: true }}
      scripts={[chrome.asset('vendor/simplewebauthn-browser.js'), chrome.asset('login.js'), chrome.asset('passkey.js')]}
    >
      <section class="narrow">
        <h1>Sign in</h1>
        {info ? <Notice kind="success">{info}</Notice> : null}
        {signedOut && !info && !error ? <Notice kind="success">You are signed out.</Notice> : null}
        {error ? <Notice kind="error">{error}</Notice> : null}
        <form method="post" action="/login" class="stack" id="login-form" data-signed-out={signedOut ? 'true' : undefined}>
          {next ? <input type="hidden" name="next" value={next} /> : null}
          <label for="username">Username</label>
          <input
            id="username"
            name="username"
            type="text"
            value={username}
            autocomplete="username webauthn"
            autocapitalize="none"
            spellcheck={false}
            required
            maxlength={100}
          />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={200} />
          <button type="submit" class="primary">
            Sign in
          </button>
        </form>
        {/* Shown by passkey.js where the browser can use passkeys. The form carries the browser's
            signed answer; data-autofill also offers passkeys in the username field's suggestions. */}
        <div id="passkey-signin" hidden>
          <p class="or">or</p>
          <form method="post" action="/login/passkey" id="passkey-form" data-passkey="authenticate" data-options="/login/passkey/options" data-autofill>
            <input type="hidden" name="response" />
            <input type="hidden" name="via" value="button" />
            {next ? <input type="hidden" name="next" value={next} /> : null}
            <button type="submit" id="passkey-button" class="secondary">
              Sign in with a passkey
            </button>
            <p class="muted small" data-passkey-status role="status" aria-live="polite"></p>
          </form>
        </div>
        <p class="muted small">
          Your browser’s password manager keeps your username and password: Quire made them for you when you joined. Lost your
          phone or passkey? Sign in with your password, then use a recovery code. Lost your password? Ask an owner of this
          blog for a recovery link.
        </p>
      </section>
    </Layout>
  );
}

export function InviteInvalidPage({ chrome }: { chrome: Chrome }) {
  return (
    <Layout chrome={chrome} title="This invite link does not work" meta={{ noindex: true }}>
      <section class="narrow">
        <h1>This invite link does not work</h1>
        <p>
          It has expired, was already used, or was withdrawn. Invite links work once, for 72 hours. Ask the person who sent it
          for a new one.
        </p>
        <p>
          Already have an account? <a href="/login">Sign in</a>.
        </p>
      </section>
    </Layout>
  );
}

export interface EnrolPageProps {
  chrome: Chrome;
  token: string;
  role: 'owner' | 'writer';
  displayName?: string;
  error?: string;
}

export function EnrolPage({ chrome, token, role, displayName = '', error }: EnrolPageProps) {
  return (
    <Layout chrome={chrome} title="Join" meta={{ noindex: true }}>
      <section class="narrow">
        <h1>Welcome to {chrome.siteTitle}</h1>
        <p>
          You have been invited to write here{role === 'owner' ? ' as an owner, who can also invite others and change the blog’s settings' : ''}.
          Choose the name readers will see on your posts. That is all: Quire creates your username and a strong password, and
          your browser keeps them, so there is nothing to invent or remember.
        </p>
        <form method="post" action={`/invite/${token}`} class="stack" novalidate>
          <label for="display_name">Your name, as readers will see it</label>
          <input
            id="display_name"
            name="display_name"
            type="text"
            value={displayName}
            autocomplete="name"
            required
            maxlength={80}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'display_name-error' : undefined}
          />
          <FieldError id="display_name-error" message={error} />
          <button type="submit" class="primary">
            Create my account
          </button>
        </form>
      </section>
    </Layout>
  );
}

export interface CredentialsPageProps {
  chrome: Chrome;
  username: string;
  password: string;
  displayName: string;
  /** Where "Continue" goes. */
  next: string;
  heading: string;
  intro: string;
}

/**
 * Shows freshly generated credentials exactly once. With PasswordCredential the browser
 * stores them (static/credentials.js); otherwise this is a real form with
 * autocomplete="username"/"new-password" so any password manager offers to save it on submit.
 */
export function CredentialsPage({ chrome, username, password, displayName, next, heading, intro }: CredentialsPageProps) {
  return (
    <Layout chrome={chrome} title={heading} meta={{ noindex: true }} scripts={[chrome.asset('credentials.js')]}>
      <section class="narrow">
        <h1>{heading}</h1>
        <p>{intro}</p>
        <p id="credential-status" class="notice notice-info" role="status" aria-live="polite">
          Save these in your browser’s password manager, or write them down somewhere safe. They are shown only this once;
          you will need them to sign in on another device.
        </p>
        <form method="post" action="/welcome" id="credentials-form" class="stack" data-display-name={displayName}>
          <input type="hidden" name="next" value={next} />
          <label for="new-username">Username</label>
          <div class="copy-row">
            <input id="new-username" name="username" type="text" value={username} autocomplete="username" readonly />
            <button type="button" class="secondary" data-copy="new-username" hidden>
              Copy
            </button>
          </div>
          <label for="new-password">Password</label>
          <div class="copy-row">
            <input id="new-password" name="password" type="password" value={password} autocomplete="new-password" readonly />
            <button type="button" class="secondary" data-copy="new-password" hidden>
              Copy
            </button>
          </div>
          <details>
            <summary>Show the password</summary>
            <p>
              <code class="secret" id="password-text">{password}</code>
            </p>
          </details>
          <button type="submit" class="primary">
            Continue
          </button>
        </form>
      </section>
    </Layout>
  );
}

export interface SecondStepPageProps {
  chrome: Chrome;
  displayName: string;
  totp: boolean;
  passkeys: boolean;
  next?: string;
  /** Error for the authenticator-code form. */
  codeError?: string;
  /** Error for the recovery-code form; opens that part of the page. */
  recoveryError?: string;
  recoveryCode?: string;
}

/** After a correct password, when the account has a second factor. */
export function SecondStepPage({ chrome, displayName, totp, passkeys, next, codeError, recoveryError, recoveryCode = '' }: SecondStepPageProps) {
  return (
    <Layout
      chrome={chrome}
      title="One more step"
      meta={{ noindex: true }}
      styles={[chrome.asset('account.css')]}
      scripts={passkeys ? [chrome.asset('vendor/simplewebauthn-browser.js'), chrome.asset('passkey.js')] : []}
    >
      <section class="narrow">
        <h1>One more step, {displayName}</h1>
        <p>Your password was right. Now show it is really you{totp && passkeys ? ' with your authenticator app or a passkey' : totp ? ' with your authenticator app' : ' with your passkey'}.</p>
        {totp ? (
          <form method="post" action="/login/verify" class="stack" novalidate>
            <label for="code">6-digit code from your authenticator app</label>
            <input
              id="code"
              name="code"
              type="text"
              class="code-input"
              inputmode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9 ]*"
              maxlength={9}
              required
              autofocus
              aria-invalid={codeError ? 'true' : undefined}
              aria-describedby={codeError ? 'code-error' : undefined}
            />
            <FieldError id="code-error" message={codeError} />
            <button type="submit" class="primary">
              Sign in
            </button>
          </form>
        ) : null}
        {passkeys ? (
          <form method="post" action="/login/passkey" data-passkey="authenticate" data-options="/login/passkey/options" hidden>
            <input type="hidden" name="response" />
            <input type="hidden" name="via" value="second-step" />
            {next ? <input type="hidden" name="next" value={next} /> : null}
            <button type="submit" class={totp ? 'secondary' : 'primary'}>
              Use my passkey
            </button>
            <p class="muted small" data-passkey-status role="status" aria-live="polite"></p>
          </form>
        ) : null}
        <details open={recoveryError !== undefined}>
          <summary>Lost your {totp ? 'phone' : 'passkey'}? Use a recovery code</summary>
          <form method="post" action="/login/verify/recovery" class="stack" novalidate>
            <label for="recovery_code">Recovery code</label>
            <input
              id="recovery_code"
              name="recovery_code"
              type="text"
              value={recoveryCode}
              autocomplete="off"
              autocapitalize="characters"
              spellcheck={false}
              maxlength={60}
              aria-invalid={recoveryError ? 'true' : undefined}
              aria-describedby={recoveryError ? 'recovery-error' : undefined}
            />
            <FieldError id="recovery-error" message={recoveryError} />
            <button type="submit" class="secondary">
              Sign in with a recovery code
            </button>
          </form>
          <p class="muted small">No recovery codes either? Ask an owner of this blog for a recovery link.</p>
        </details>
        <p>
          <a href="/login">Start again</a>
        </p>
      </section>
    </Layout>
  );
}

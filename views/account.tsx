import type { Passkey } from '../src/db/passkeys.js';
import type { SecurityEvent, SecurityEventType } from '../src/db/security-events.js';
import type { Session } from '../src/db/sessions.js';
import type { User } from '../src/db/users.js';
import { formatDateTime } from '../src/lib/time.js';
import { FieldError, Layout, Notice, type Chrome } from './layout.js';

export interface AccountPageProps {
  chrome: Chrome;
  user: Pick<User, 'username' | 'displayName' | 'role' | 'createdAt'>;
  currentSessionId: number;
  sessions: Session[];
  totp: boolean;
  passkeys: Passkey[];
  recoveryCodesLeft: number;
  events: SecurityEvent[];
  postCount: number;
  /** Sensitive buttons work without a detour right now. */
  recentlySignedIn: boolean;
  message?: { kind: 'success' | 'info' | 'error'; text: string };
  /** After a recovery link: ask the writer to look at their passkeys. */
  reviewPasskeys?: boolean;
  /** After signing in with a recovery code. */
  recoveryCodeUsed?: boolean;
  rename?: { passkeyId: number; value: string; error: string };
}

export function AccountPage(props: AccountPageProps) {
  const { chrome, user, totp, passkeys, recoveryCodesLeft } = props;
  const secondFactor = totp || passkeys.length > 0;
  // This device first, then the others by when they were last active.
  const sessions = [...props.sessions].sort((a, b) => Number(b.id === props.currentSessionId) - Number(a.id === props.currentSessionId));
  const otherSessions = sessions.length - 1;
  return (
    <Layout
      chrome={chrome}
      title="Your account"
      meta={{ noindex: true }}
      styles={[chrome.asset('account.css')]}
      scripts={[chrome.asset('vendor/simplewebauthn-browser.js'), chrome.asset('passkey.js'), chrome.asset('account.js')]}
    >
      <h1>Your account</h1>
      {props.message ? <Notice kind={props.message.kind}>{props.message.text}</Notice> : null}
      {props.recoveryCodeUsed ? (
        <Notice kind="info">
          <p>
            You signed in with a recovery code. You have <strong>{recoveryCodesLeft}</strong> left
            {recoveryCodesLeft <= 3 ? ': make a new set below soon' : ''}.
          </p>
          <p>
            If you lost your phone or passkey, remove it below and set up a new one, so you do not need recovery codes next
            time.
          </p>
        </Notice>
      ) : null}
      {props.reviewPasskeys ? (
        <Notice kind="info">
          <p>
            Welcome back. Your old password, authenticator app and recovery codes no longer work, and every other device was
            signed out.
          </p>
          {passkeys.length > 0 ? (
            <p>
              Please look at your passkeys below and <strong>remove any you no longer have or do not recognise</strong>: while
              a passkey is listed, signing in with your password also asks for it.
            </p>
          ) : null}
        </Notice>
      ) : null}

      <dl class="facts" aria-label="Your profile">
        <dt>Name on your posts</dt>
        <dd>{user.displayName}</dd>
        <dt>Username</dt>
        <dd>
          <code>{user.username}</code>
        </dd>
        <dt>Role</dt>
        <dd>{user.role === 'owner' ? 'Owner: writes, invites people and changes settings' : 'Writer'}</dd>
        <dt>Joined</dt>
        <dd>
          <LocalTime ms={user.createdAt} />
        </dd>
      </dl>

      <section aria-labelledby="methods-heading">
        <h2 id="methods-heading">How you sign in</h2>
        {!props.recentlySignedIn ? (
          <p class="muted small">
            You signed in more than 10 minutes ago, so before any change here Quire asks you to confirm it is you. That way
            nobody else using this browser can change how you sign in.
          </p>
        ) : null}

        <div class="card" id="password">
          <h3>Password</h3>
          <p>
            Quire made your password and your browser keeps it.
            {secondFactor ? ' Because you also use an authenticator app or a passkey, the password alone is not enough to sign in.' : ''}
          </p>
          <form
            method="post"
            action="/account/password"
            data-confirm="Make a new password? Your old one stops working and your other devices are signed out."
          >
            <button type="submit" class="secondary">
              Make a new password
            </button>
          </form>
        </div>

        <div class="card" id="authenticator">
          <h3>
            Authenticator app <OnOff on={totp} />
          </h3>
          {totp ? (
            <>
              <p>After your password, Quire asks for the 6-digit code from your authenticator app.</p>
              <p>
                <a href="/account/totp/disable">Turn off the authenticator app</a>
              </p>
            </>
          ) : (
            <>
              <p>
                An app on your phone (such as Google Authenticator, Aegis or 1Password) shows a new 6-digit code every 30
                seconds. Once it is set up, Quire asks for that code after your password, so a stolen password alone cannot
                open your account.
              </p>
              <form method="post" action="/account/totp/start">
                <button type="submit" class="secondary">
                  Set up an authenticator app
                </button>
              </form>
            </>
          )}
        </div>

        <div class="card" id="passkeys">
          <h3>
            Passkeys <span class="badge">{passkeys.length === 0 ? 'None' : passkeys.length === 1 ? '1 passkey' : `${passkeys.length} passkeys`}</span>
          </h3>
          <p>
            A passkey signs you in with your fingerprint, face or the PIN of your device, without typing anything. It counts
            as both steps of signing in.
          </p>
          {passkeys.length > 0 ? (
            <ul class="items passkeys">
              {passkeys.map((passkey) => {
                const renaming = props.rename?.passkeyId === passkey.id ? props.rename : undefined;
                const errorId = `passkey-${passkey.id}-error`;
                return (
                  <li>
                    <div class="item-text">
                      <strong>{passkey.name}</strong>
                      <span class="muted small">
                        Added <LocalTime ms={passkey.createdAt} /> ·{' '}
                        {passkey.lastUsedAt ? (
                          <>
                            last used <LocalTime ms={passkey.lastUsedAt} />
                          </>
                        ) : (
                          'not used yet'
                        )}
                      </span>
                    </div>
                    <div class="item-actions">
                      <details class="rename" open={renaming !== undefined}>
                        <summary>Rename</summary>
                        <form method="post" action={`/account/passkeys/${passkey.id}/rename`} class="inline-form">
                          <label for={`passkey-${passkey.id}-name`} class="visually-hidden">
                            New name for this passkey
                          </label>
                          <input
                            id={`passkey-${passkey.id}-name`}
                            name="name"
                            type="text"
                            value={renaming?.value ?? passkey.name}
                            maxlength={200}
                            aria-invalid={renaming ? 'true' : undefined}
                            aria-describedby={renaming ? errorId : undefined}
                          />
                          <button type="submit" class="secondary">
                            Save name
                          </button>
                          <FieldError id={errorId} message={renaming?.error} />
                        </form>
                      </details>
                      <form
                        method="post"
                        action={`/account/passkeys/${passkey.id}/delete`}
                        class="inline"
                        data-confirm={`Remove the passkey “${passkey.name}”? It will no longer sign you in.`}
                      >
                        <button type="submit" class="link danger">
                          Remove
                        </button>
                      </form>
                    </div>
                  </li>
                );
              })}
            </ul>
          ) : (
            <p class="muted">No passkeys yet.</p>
          )}
          <form method="post" action="/account/passkeys" id="passkey-register" data-passkey="register" data-options="/account/passkeys/options" hidden>
            <input type="hidden" name="response" />
            <label for="passkey-name">Name for the new passkey (optional)</label>
            <div class="inline-form add-passkey">
              <input id="passkey-name" name="name" type="text" maxlength={60} placeholder="e.g. My laptop" />
              <button type="submit" class="secondary">
                Add a passkey
              </button>
            </div>
            <p class="muted small" data-passkey-status role="status" aria-live="polite"></p>
          </form>
          <p class="muted small" data-passkey-unsupported>
            This browser cannot make passkeys (or JavaScript is off). Try a current Chrome, Edge, Safari or Firefox.
          </p>
        </div>

        <div class="card" id="recovery">
          <h3>
            Recovery codes {recoveryCodesLeft > 0 || secondFactor ? <span class="badge">{recoveryCodesLeft} left</span> : null}
          </h3>
          {recoveryCodesLeft > 0 || secondFactor ? (
            <>
              <p>
                You have <strong id="recovery-codes-left">{recoveryCodesLeft}</strong> unused recovery code
                {recoveryCodesLeft === 1 ? '' : 's'}. If you lose your phone or passkey, each code lets you in once instead.
              </p>
              <form
                method="post"
                action="/account/recovery-codes"
                data-confirm={recoveryCodesLeft > 0 ? 'Make a new set of recovery codes? The ones you have now stop working.' : undefined}
              >
                <button type="submit" class="secondary">
                  Make new recovery codes
                </button>
              </form>
            </>
          ) : (
            <p class="muted">Quire makes recovery codes for you when you set up an authenticator app or add a passkey.</p>
          )}
        </div>
        <p class="muted small">
          Lost everything? An owner of this blog can give you a recovery link after checking it is really you.
        </p>
      </section>

      <section aria-labelledby="devices-heading">
        <h2 id="devices-heading">Where you are signed in</h2>
        <ul class="items devices">
          {sessions.map((session) => {
            const current = session.id === props.currentSessionId;
            return (
              <li>
                <div class="item-text">
                  <strong>
                    {session.browser || 'Unknown browser'}
                    {current ? <span class="badge badge-here">This device</span> : null}
                  </strong>
                  <span class="muted small">
                    Signed in <LocalTime ms={session.createdAt} /> · last active <LocalTime ms={session.lastSeenAt} />
                  </span>
                </div>
                <div class="item-actions">
                  {current ? (
                    <form method="post" action="/logout" data-signout class="inline">
                      <button type="submit" class="secondary">
                        Sign out
                      </button>
                    </form>
                  ) : (
                    <form method="post" action={`/account/sessions/${session.id}/end`} class="inline">
                      <button type="submit" class="secondary danger">
                        Sign out
                      </button>
                    </form>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
        {otherSessions > 0 ? (
          <form method="post" action="/account/sessions/end-others">
            <button type="submit" class="secondary">
              Sign out everywhere else
            </button>
          </form>
        ) : null}
      </section>

      <section aria-labelledby="activity-heading">
        <h2 id="activity-heading">Recent security activity</h2>
        <p class="muted small">If you see something you did not do, make a new password and sign out everywhere else.</p>
        {props.events.length === 0 ? (
          <p class="muted">Nothing yet.</p>
        ) : (
          <ol class="items events">
            {props.events.map((event) => (
              <li data-event={event.type}>
                <div class="item-text">
                  <span>
                    {EVENT_LABELS[event.type] ?? event.type}
                    {event.detail ? <span class="muted"> ({event.detail})</span> : null}
                  </span>
                  <span class="muted small">
                    <LocalTime ms={event.createdAt} />
                    {event.browser ? ` · ${event.browser}` : ''}
                  </span>
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section aria-labelledby="leaving-heading">
        <h2 id="leaving-heading">Your writing, and leaving</h2>
        <p>
          Download everything you wrote ({props.postCount} post{props.postCount === 1 ? '' : 's'}, with every saved version) as
          one zip file: each post as Markdown and as a web page, with its details.
        </p>
        <p>
          <a href="/account/export" class="button-link" download>
            Download everything I wrote
          </a>
        </p>
        <p>
          <a href="/account/delete" class="danger">
            Delete my account…
          </a>
        </p>
      </section>
    </Layout>
  );
}

/** "On" or "Off" next to a heading, in words (not only colour). */
function OnOff({ on }: { on: boolean }) {
  return <span class={on ? 'badge badge-on' : 'badge'}>{on ? 'On' : 'Off'}</span>;
}

/** A time in UTC, which account.js rewrites into the reader's own time zone. */
function LocalTime({ ms }: { ms: number }) {
  return (
    <time datetime={new Date(ms).toISOString()} data-local>
      {formatDateTime(ms)}
    </time>
  );
}

export const EVENT_LABELS: Record<SecurityEventType, string> = {
  'signed-in': 'Signed in',
  'sign-in-failures': 'Several wrong passwords in a row',
  'second-factor-failures': 'Several wrong authenticator codes',
  'password-renewed': 'New password made',
  'totp-enabled': 'Authenticator app turned on',
  'totp-disabled': 'Authenticator app turned off',
  'passkey-added': 'Passkey added',
  'passkey-removed': 'Passkey removed',
  'recovery-codes-created': 'New recovery codes made',
  'recovery-code-used': 'Recovery code used',
  'recovery-link-issued': 'Recovery link issued',
  'recovery-link-used': 'Recovery link used',
  'sessions-ended': 'Other devices signed out',
  'role-changed': 'Role changed',
};

// ── Confirming it is you ─────────────────────────────────────────────────────

export interface ConfirmPageProps {
  chrome: Chrome;
  username: string;
  next: string;
  totp: boolean;
  passkeys: boolean;
  error?: string;
}

export function ConfirmPage({ chrome, username, next, totp, passkeys, error }: ConfirmPageProps) {
  return (
    <Layout
      chrome={chrome}
      title="Confirm it is you"
      meta={{ noindex: true }}
      styles={[chrome.asset('account.css')]}
      scripts={[chrome.asset('vendor/simplewebauthn-browser.js'), chrome.asset('passkey.js')]}
    >
      <section class="narrow">
        <h1>Confirm it is you</h1>
        <p>You are about to change something important, and your last sign-in was more than 10 minutes ago.</p>
        {error ? <Notice kind="error">{error}</Notice> : null}
        {passkeys ? (
          <form method="post" action="/account/confirm/passkey" data-passkey="authenticate" data-options="/account/confirm/passkey/options" hidden>
            <input type="hidden" name="response" />
            <input type="hidden" name="next" value={next} />
            <button type="submit" class="primary">
              Confirm with a passkey
            </button>
            <p class="muted small" data-passkey-status role="status" aria-live="polite"></p>
          </form>
        ) : null}
        <form method="post" action="/account/confirm" class="stack">
          <input type="hidden" name="next" value={next} />
          {/* Lets the password manager see which account's password to fill in. */}
          <input type="text" name="username" value={username} autocomplete="username" readonly hidden />
          <label for="confirm-password">Your password</label>
          <input id="confirm-password" name="password" type="password" autocomplete="current-password" maxlength={200} />
          <button type="submit" class={passkeys ? 'secondary' : 'primary'}>
            Confirm with my password
          </button>
        </form>
        {totp ? (
          <form method="post" action="/account/confirm" class="stack">
            <input type="hidden" name="next" value={next} />
            <label for="confirm-code">Or a code from your authenticator app</label>
            <input
              id="confirm-code"
              name="code"
              type="text"
              class="code-input"
              inputmode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9 ]*"
              maxlength={9}
            />
            <button type="submit" class="secondary">
              Confirm with a code
            </button>
          </form>
        ) : null}
        <p>
          <a href="/account">Cancel</a>
        </p>
      </section>
    </Layout>
  );
}

// ── Deleting the account ─────────────────────────────────────────────────────

export interface DeleteAccountPageProps {
  chrome: Chrome;
  postCount: number;
  /** Owners who could take the posts over (not the person leaving). */
  owners: Pick<User, 'id' | 'displayName'>[];
  lastOwner: boolean;
  values?: { posts?: string; heir?: string; confirm?: string };
  errors?: { posts?: string; heir?: string; confirm?: string; form?: string };
  username: string;
}

export function DeleteAccountPage({ chrome, postCount, owners, lastOwner, values = {}, errors = {}, username }: DeleteAccountPageProps) {
  return (
    <Layout chrome={chrome} title="Delete your account" meta={{ noindex: true }} styles={[chrome.asset('account.css')]}>
      <section class="narrow">
        <h1>Delete your account</h1>
        {lastOwner ? (
          <>
            <Notice kind="error">
              You are the only owner of this blog, so you cannot delete your account yet: nobody could run the blog after you.
              First make another member an owner on the <a href="/members">Members</a> page.
            </Notice>
            <p>
              <a href="/account">Back to your account</a>
            </p>
          </>
        ) : (
          <>
            <p>
              This cannot be undone. You will be signed out everywhere and your username, password, passkeys and recovery codes
              will stop working for good.
            </p>
            <p>
              You might want to <a href="/account/export">download everything you wrote</a> first.
            </p>
            {errors.form ? <Notice kind="error">{errors.form}</Notice> : null}
            <form method="post" action="/account/delete" class="stack" novalidate>
              {postCount === 0 ? (
                <>
                  <input type="hidden" name="posts" value="delete" />
                  <p>You have no posts on this blog.</p>
                </>
              ) : (
                <fieldset aria-describedby={errors.posts ? 'posts-error' : undefined}>
                  <legend>
                    What should happen to your {postCount === 1 ? 'post' : `${postCount} posts`}?
                  </legend>
                  <label class="choice">
                    <input type="radio" name="posts" value="delete" checked={values.posts === 'delete'} />
                    <span>
                      <strong>Delete {postCount === 1 ? 'it' : 'them'}.</strong> Readers will no longer find{' '}
                      {postCount === 1 ? 'it' : 'them'}, and {postCount === 1 ? 'its link' : 'their links'} will stop working.
                    </span>
                  </label>
                  <label class="choice">
                    <input type="radio" name="posts" value="hand" checked={values.posts === 'hand'} disabled={owners.length === 0} />
                    <span>
                      <strong>Give {postCount === 1 ? 'it' : 'them'} to an owner.</strong>{' '}
                      {owners.length === 0
                        ? 'Nobody else is an owner of this blog, so this is not possible.'
                        : `${postCount === 1 ? 'It stays' : 'They stay'} online, under that owner’s name instead of yours.`}
                    </span>
                  </label>
                  {owners.length > 0 ? (
                    <div class="heir">
                      <label for="heir">Which owner</label>
                      <select
                        id="heir"
                        name="heir"
                        aria-invalid={errors.heir ? 'true' : undefined}
                        aria-describedby={errors.heir ? 'heir-error' : undefined}
                      >
                        {owners.map((owner) => (
                          <option value={String(owner.id)} selected={values.heir === String(owner.id)}>
                            {owner.displayName}
                          </option>
                        ))}
                      </select>
                      <FieldError id="heir-error" message={errors.heir} />
                    </div>
                  ) : null}
                  <FieldError id="posts-error" message={errors.posts} />
                </fieldset>
              )}
              <label for="confirm">
                Type your username, <code>{username}</code>, to confirm
              </label>
              <input
                id="confirm"
                name="confirm"
                type="text"
                value={values.confirm ?? ''}
                autocomplete="off"
                autocapitalize="none"
                spellcheck={false}
                aria-invalid={errors.confirm ? 'true' : undefined}
                aria-describedby={errors.confirm ? 'confirm-error' : undefined}
              />
              <FieldError id="confirm-error" message={errors.confirm} />
              <button type="submit" class="primary danger">
                Delete my account
              </button>
            </form>
            <p>
              <a href="/account">Cancel</a>
            </p>
          </>
        )}
      </section>
    </Layout>
  );
}

export function AccountDeletedPage({ chrome, postsHandedTo }: { chrome: Chrome; postsHandedTo: string | null }) {
  return (
    <Layout chrome={chrome} title="Your account is deleted" meta={{ noindex: true }}>
      <section class="narrow">
        <h1>Your account is deleted</h1>
        <p>
          {postsHandedTo
            ? `Your posts now belong to ${postsHandedTo}. Everything else about your account is gone.`
            : 'Your posts and everything else about your account are gone.'}{' '}
          Thank you for writing here.
        </p>
        <p>
          <a href="/">Go to the blog</a>
        </p>
      </section>
    </Layout>
  );
}

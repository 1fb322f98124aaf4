import { Layout, Notice, type Chrome } from './layout.js';

export interface RecoverPageProps {
  chrome: Chrome;
  token: string;
  displayName: string;
  username: string;
  error?: string;
}

/**
 * Opening the link only shows this page; the link is used by pressing the button, so a mail
 * scanner or link preview that fetches the address cannot use it up.
 */
export function RecoverPage({ chrome, token, displayName, username, error }: RecoverPageProps) {
  return (
    <Layout chrome={chrome} title="Get back into your account" meta={{ noindex: true }}>
      <section class="narrow">
        <h1>Get back into your account</h1>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <p>
          This link is for <strong>{displayName}</strong> (username <code>{username}</code>). When you continue, Quire:
        </p>
        <ul>
          <li>makes you a new password and asks your browser to save it;</li>
          <li>signs out every device that is signed in to your account;</li>
          <li>turns off your authenticator app and your recovery codes, which you can set up again afterwards;</li>
          <li>shows you your passkeys, so you can remove any you no longer have.</li>
        </ul>
        <p>Your posts are not touched. The link works once.</p>
        <form method="post" action={`/recover/${token}`}>
          <button type="submit" class="primary">
            Continue
          </button>
        </form>
      </section>
    </Layout>
  );
}

export function RecoverInvalidPage({ chrome }: { chrome: Chrome }) {
  return (
    <Layout chrome={chrome} title="This recovery link does not work" meta={{ noindex: true }}>
      <section class="narrow">
        <h1>This recovery link does not work</h1>
        <p>
          It has expired, was already used, or was replaced by a newer one. Recovery links work once, for 24 hours. Ask an owner
          of this blog for a new one.
        </p>
        <p>
          <a href="/login">Sign in</a>
        </p>
      </section>
    </Layout>
  );
}

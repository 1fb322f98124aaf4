import type { Invite } from '../src/db/invites.js';
import type { RecoveryLink } from '../src/db/recovery-links.js';
import type { User } from '../src/db/users.js';
import { formatDateTime } from '../src/lib/time.js';
import { Layout, Notice, type Chrome } from './layout.js';

export interface MembersPageProps {
  chrome: Chrome;
  members: User[];
  invites: Invite[];
  /** Recovery links that still work, at most one per member. */
  recoveryLinks?: RecoveryLink[];
  currentUserId: number;
  newInvite?: { link: string; role: 'owner' | 'writer'; expiresAt: number };
  newRecoveryLink?: { link: string; displayName: string; expiresAt: number };
  message?: string;
}

export function MembersPage({ chrome, members, invites, recoveryLinks = [], currentUserId, newInvite, newRecoveryLink, message }: MembersPageProps) {
  return (
    <Layout chrome={chrome} title="Members" meta={{ noindex: true }} styles={[chrome.asset('account.css')]}>
      <h1>Members</h1>
      {message ? <Notice kind="success">{message}</Notice> : null}
      {newInvite ? (
        <Notice kind="success">
          <p>
            New {newInvite.role} invite, valid until {formatDateTime(newInvite.expiresAt)}. Send this link to the person you are
            inviting, by a channel you trust. It works once and is shown only now.
          </p>
          <div class="copy-row">
            <input id="invite-link" type="text" value={newInvite.link} readonly aria-label="Invite link" />
            <button type="button" class="secondary" data-copy="invite-link" hidden>
              Copy
            </button>
          </div>
        </Notice>
      ) : null}
      {newRecoveryLink ? (
        <Notice kind="success">
          <p>
            Recovery link for {newRecoveryLink.displayName}, valid until {formatDateTime(newRecoveryLink.expiresAt)}. Give it only to
            them, by a channel you trust: whoever opens it gets into the account. It works once and is shown only now.
          </p>
          <div class="copy-row">
            <input id="recovery-link" type="text" value={newRecoveryLink.link} readonly aria-label="Recovery link" />
            <button type="button" class="secondary" data-copy="recovery-link" hidden>
              Copy
            </button>
          </div>
        </Notice>
      ) : null}

      <section>
        <h2>Invite someone</h2>
        <form method="post" action="/members/invites" class="inline-form">
          <label for="role">Role</label>
          <select id="role" name="role" aria-describedby="role-help">
            <option value="writer">Writer</option>
            <option value="owner">Owner</option>
          </select>
          <button type="submit" class="primary">
            Create invite link
          </button>
        </form>
        <p class="muted small" id="role-help">
          A writer writes and publishes their own posts. An owner can also invite people, issue recovery links and change
          the blog’s settings.
        </p>
      </section>

      <section>
        <h2>Pending invites</h2>
        {invites.length === 0 ? (
          <p class="muted">No pending invites.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invites.map((invite) => (
                <tr>
                  <td>{invite.role}</td>
                  <td>{formatDateTime(invite.createdAt)}</td>
                  <td>{formatDateTime(invite.expiresAt)}</td>
                  <td>
                    <form method="post" action={`/members/invites/${invite.id}/revoke`} class="inline">
                      <button type="submit" class="link danger">
                        Revoke
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section>
        <h2>Members</h2>
        <ul class="items members">
          {members.map((member) => {
            const pending = recoveryLinks.find((link) => link.userId === member.id);
            const you = member.id === currentUserId;
            return (
              <li data-member={member.username}>
                <div class="item-text">
                  <strong>
                    {member.displayName}
                    <span class="badge">{member.role === 'owner' ? 'Owner' : 'Writer'}</span>
                    {you ? <span class="badge badge-here">You</span> : null}
                  </strong>
                  <span class="muted small">
                    <code>{member.username}</code> · joined {formatDateTime(member.createdAt)}
                  </span>
                  {pending ? <span class="small">A recovery link for them works until {formatDateTime(pending.expiresAt)}.</span> : null}
                </div>
                {you ? null : (
                  <div class="item-actions">
                    <form
                      method="post"
                      action={`/members/${member.id}/recovery-link`}
                      class="inline"
                      data-confirm={`Only do this after making sure, outside Quire (in person or by a call), that the request really comes from ${member.displayName}. The link gives full access to their account. Create it?`}
                    >
                      <button type="submit" class="link">
                        {pending ? 'New recovery link' : 'Recovery link'}
                      </button>
                    </form>
                    {pending ? (
                      <form method="post" action={`/members/recovery-links/${pending.id}/revoke`} class="inline">
                        <button type="submit" class="link danger">
                          Revoke the link
                        </button>
                      </form>
                    ) : null}
                    {member.role === 'writer' ? (
                      <form
                        method="post"
                        action={`/members/${member.id}/make-owner`}
                        class="inline"
                        data-confirm={`Make ${member.displayName} an owner? Owners can invite people, issue recovery links and change the blog’s settings.`}
                      >
                        <button type="submit" class="link">
                          Make owner
                        </button>
                      </form>
                    ) : null}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
        <p class="muted small">
          A member who lost their password, phone and recovery codes can get back in with a recovery link: it gives them a new
          password and turns off their authenticator app. Check who is asking before you make one: in person, or by calling
          them on a number you already know.
        </p>
      </section>
    </Layout>
  );
}

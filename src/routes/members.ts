import { Hono, type Context } from 'hono';
import type { AppEnv } from '../context.js';
import { createInvite } from '../auth/invites.js';
import { requireRecentSignIn } from '../auth/recent-sign-in.js';
import { issueRecoveryLink } from '../auth/recovery-links.js';
import { recordEvent } from '../auth/second-factor.js';
import { describeBrowser } from '../auth/session.js';
import { setUserRole } from '../db/account-data.js';
import { listPendingInvites, revokeInvite } from '../db/invites.js';
import { listPendingRecoveryLinks, revokeRecoveryLink } from '../db/recovery-links.js';
import { getUserById, listUsers } from '../db/users.js';
import { chrome, readForm, renderPage } from '../lib/http.js';
import { MembersPage, type MembersPageProps } from '../../views/members.js';
import { requireOwner, requireUser } from './guards.js';

export function membersRoutes() {
  const app = new Hono<AppEnv>();
  app.use('/members', requireUser, requireOwner);
  app.use('/members/*', requireUser, requireOwner);

  const page = (c: Context<AppEnv>, extra: Partial<MembersPageProps> = {}, status = 200) => {
    const { db, clock } = c.var.deps;
    return renderPage(
      c,
      MembersPage({
        chrome: chrome(c),
        members: listUsers(db),
        invites: listPendingInvites(db, clock.now()),
        recoveryLinks: listPendingRecoveryLinks(db, clock.now()),
        currentUserId: c.var.user!.id,
        ...extra,
      }),
      status,
    );
  };

  const MESSAGES: Record<string, string> = {
    invite: 'The invite was revoked; its link no longer works.',
    'recovery-link': 'The recovery link was revoked; it no longer works.',
  };
  app.get('/members', (c) => {
    const revoked = c.req.query('revoked');
    const promoted = c.req.query('promoted');
    return page(c, {
      message: revoked ? (MESSAGES[revoked] ?? MESSAGES.invite) : promoted ? 'They are now an owner of this blog.' : undefined,
    });
  });

  // The link is shown in this response only: the token is stored hashed and cannot be shown again.
  app.post('/members/invites', async (c) => {
    const { db, clock, config } = c.var.deps;
    const form = await readForm(c);
    const role = form.role === 'owner' ? 'owner' : 'writer';
    const invite = createInvite(db, config.publicUrl, role, c.var.user!.id, clock.now());
    return page(c, { newInvite: { link: invite.link, role, expiresAt: invite.expiresAt } }, 201);
  });

  app.post('/members/invites/:id/revoke', (c) => {
    const { db, clock } = c.var.deps;
    const id = Number(c.req.param('id'));
    if (Number.isSafeInteger(id)) revokeInvite(db, id, clock.now());
    return c.redirect('/members?revoked=invite', 303);
  });

  // ── Ways back in ─────────────────────────────────────────────────────────────
  // For a writer who lost everything. The owner must first make sure, outside Quire, that the
  // person asking really is that writer: the link hands over the account. Needs the owner's own
  // recent sign-in, like any change that opens an account.
  app.post('/members/:id/recovery-link', requireRecentSignIn, (c) => {
    const { db, clock, config } = c.var.deps;
    const owner = c.var.user!;
    const member = getUserById(db, Number(c.req.param('id')));
    // Not for oneself: a signed-in owner changes their own sign-in on the account page.
    if (!member || member.id === owner.id) return c.redirect('/members', 303);
    const issued = issueRecoveryLink(db, config.publicUrl, member, owner, clock.now(), describeBrowser(c.req.header('user-agent')));
    return page(c, { newRecoveryLink: { link: issued.link, displayName: member.displayName, expiresAt: issued.expiresAt } }, 201);
  });

  app.post('/members/recovery-links/:id/revoke', (c) => {
    const { db, clock } = c.var.deps;
    const id = Number(c.req.param('id'));
    if (Number.isSafeInteger(id)) revokeRecoveryLink(db, id, clock.now());
    return c.redirect('/members?revoked=recovery-link', 303);
  });

  // Handing ownership on: needed before the last owner can leave.
  app.post('/members/:id/make-owner', requireRecentSignIn, (c) => {
    const { db } = c.var.deps;
    const member = getUserById(db, Number(c.req.param('id')));
    if (!member || member.role === 'owner') return c.redirect('/members', 303);
    setUserRole(db, member.id, 'owner');
    recordEvent(c, member.id, 'role-changed', `made an owner by ${c.var.user!.displayName}`);
    return c.redirect('/members?promoted=1', 303);
  });

  return app;
}

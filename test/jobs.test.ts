// The background jobs' housekeeping: links and unfinished setups that have done their job go.
import { describe, expect, it } from 'vitest';
import { createInvite } from '../src/auth/invites.js';
import { issueRecoveryLink } from '../src/auth/recovery-links.js';
import { startTotpEnrolment } from '../src/auth/totp.js';
import { runJobs } from '../src/jobs.js';
import { DAY, HOUR } from '../src/lib/clock.js';
import { enrol, makeApp } from './helpers.js';

const count = (ctx: ReturnType<typeof makeApp>, table: string) => ctx.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

describe('housekeeping in the background jobs', () => {
  it('drops invites and recovery links a week after they expired or were used, and unfinished authenticator setups after a day', async () => {
    const ctx = makeApp();
    const { username } = await enrol(ctx, 'owner', 'Olive Owner'); // uses one invite
    const user = ctx.db.prepare('SELECT id FROM users WHERE username = ?').get(username) as { id: number };
    const pending = createInvite(ctx.db, ctx.config.publicUrl, 'writer', user.id, ctx.clock.now());
    issueRecoveryLink(ctx.db, ctx.config.publicUrl, user, null, ctx.clock.now());
    expect(startTotpEnrolment(ctx.db, ctx.config, user.id, ctx.clock.now())).not.toBeNull();

    runJobs({ db: ctx.db, clock: ctx.clock });
    expect([count(ctx, 'invites'), count(ctx, 'recovery_links'), count(ctx, 'totp_credentials')]).toEqual([2, 1, 1]);

    // A day on: the setup nobody finished is gone; links are still live or recently finished.
    ctx.clock.advance(DAY + HOUR);
    runJobs({ db: ctx.db, clock: ctx.clock });
    expect([count(ctx, 'invites'), count(ctx, 'recovery_links'), count(ctx, 'totp_credentials')]).toEqual([2, 1, 0]);

    // The used invite is a week old now; the pending one (72 h) and the recovery link (24 h) expired days ago, not yet a week.
    ctx.clock.advance(6 * DAY);
    runJobs({ db: ctx.db, clock: ctx.clock });
    expect(ctx.db.prepare('SELECT id FROM invites').pluck().all()).toEqual([pending.id]);
    expect(count(ctx, 'recovery_links')).toBe(1);

    ctx.clock.advance(3 * DAY);
    runJobs({ db: ctx.db, clock: ctx.clock });
    expect([count(ctx, 'invites'), count(ctx, 'recovery_links')]).toEqual([0, 0]);
  });
});

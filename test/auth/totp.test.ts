import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { matchTotpCode, newTotpSecret, normalizeTotpCode, readTotpSecret, startTotpEnrolment, totpUri, verifyUserTotp } from '../../src/auth/totp.js';
import { getUserByUsername } from '../../src/db/users.js';
import { enrol, makeApp, manualClock, testConfig, tempDir } from '../helpers.js';

const OATHTOOL = '/usr/bin/oathtool';

/** The code an authenticator app shows at `ms`, computed by otplib. */
export function codeAt(secret: string, ms: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(ms / 1000) });
}

describe('TOTP codes', () => {
  it('uses 160-bit Base32 secrets and a standard otpauth URI (SHA-1, 6 digits, 30 s)', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(Buffer.from(secret).length * 5).toBe(160);
    const uri = new URL(totpUri(secret, 'My Blog', 'sunny-heron-4821'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/My Blog:sunny-heron-4821');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('My Blog');
    // Defaults may be left out of the URI; where present they must be the standard ones.
    expect(uri.searchParams.get('algorithm') ?? 'SHA1').toBe('SHA1');
    expect(uri.searchParams.get('digits') ?? '6').toBe('6');
    expect(uri.searchParams.get('period') ?? '30').toBe('30');
  });

  it('accepts one step of drift either side, not two', async () => {
    const clock = manualClock();
    const secret = newTotpSecret();
    const now = clock.now() + 12_000; // mid-step
    const step = Math.floor(now / 30_000);
    for (const [offset, expected] of [
      [-60_000, null],
      [-30_000, step - 1],
      [0, step],
      [30_000, step + 1],
      [60_000, null],
    ] as const) {
      expect(await matchTotpCode(secret, await codeAt(secret, now + offset), now, null), `offset ${offset}`).toBe(expected);
    }
    // A code that is none of the three valid ones is refused.
    const valid = await Promise.all([-30_000, 0, 30_000].map((offset) => codeAt(secret, now + offset)));
    let wrong = Number(valid[1]);
    do wrong = (wrong + 1) % 1_000_000;
    while (valid.includes(String(wrong).padStart(6, '0')));
    expect(await matchTotpCode(secret, String(wrong).padStart(6, '0'), now, null)).toBeNull();
  });

  it('refuses the last accepted step and every earlier one (afterTimeStep)', async () => {
    const secret = newTotpSecret();
    const now = manualClock().now();
    const step = Math.floor(now / 30_000);
    const current = await codeAt(secret, now);
    expect(await matchTotpCode(secret, current, now, step - 1)).toBe(step);
    expect(await matchTotpCode(secret, current, now, step)).toBeNull();
    expect(await matchTotpCode(secret, await codeAt(secret, now - 30_000), now, step)).toBeNull();
    // The next step's code is still fine after the current one was used.
    expect(await matchTotpCode(secret, await codeAt(secret, now + 30_000), now, step)).toBe(step + 1);
    // Even when every step in the window is used up (or the clock went back), it simply refuses.
    expect(await matchTotpCode(secret, current, now, step + 5)).toBeNull();
  });

  it('reads typed codes forgivingly but only as six digits', () => {
    expect(normalizeTotpCode(' 123 456 ')).toBe('123456');
    expect(normalizeTotpCode('123-456')).toBe('123456');
    expect(normalizeTotpCode('12345')).toBeNull();
    expect(normalizeTotpCode('12345a')).toBeNull();
    expect(normalizeTotpCode(undefined)).toBeNull();
  });

  it.runIf(existsSync(OATHTOOL) || process.env.CI)('agrees with an independent implementation: oathtool --totp -b', async () => {
    if (!existsSync(OATHTOOL)) throw new Error(`${OATHTOOL} is missing; install it with: apt-get install -y oathtool`);
    const secret = newTotpSecret();
    const start = Date.UTC(2026, 10, 23, 9, 0, 7);
    for (let i = 0; i < 12; i++) {
      const ms = start + i * 997_003; // wander across many steps and offsets within a step
      const stamp = new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
      const oath = execFileSync(OATHTOOL, ['--totp', '-b', '--now', stamp, secret], { encoding: 'utf8' }).trim();
      expect(oath, stamp).toMatch(/^\d{6}$/);
      expect(await codeAt(secret, ms), stamp).toBe(oath);
      expect(await matchTotpCode(secret, oath, ms, null), stamp).toBe(Math.floor(ms / 30_000));
      // oathtool -w 2 prints this step's code and the next two: one step ahead is accepted as
      // drift, two are not.
      const window = execFileSync(OATHTOOL, ['--totp', '-b', '--now', stamp, '-w', '2', secret], { encoding: 'utf8' }).trim().split('\n');
      expect(window[0]).toBe(oath);
      expect(await matchTotpCode(secret, window[1]!, ms, null)).toBe(Math.floor(ms / 30_000) + 1);
      if (window[2] !== oath && window[2] !== window[1]) expect(await matchTotpCode(secret, window[2]!, ms, null)).toBeNull();
    }
  });
});

describe('stored TOTP secrets', () => {
  it('are encrypted at rest, turn on only with a correct code, and accept each code once', async () => {
    const ctx = makeApp();
    const user = getUserByUsername(ctx.db, (await enrol(ctx)).username)!;
    const secret = startTotpEnrolment(ctx.db, ctx.config, user.id, ctx.clock.now())!;
    const row = ctx.db.prepare('SELECT secret, enabled_at FROM totp_credentials WHERE user_id = ?').get(user.id) as { secret: Buffer; enabled_at: null };
    expect(row.enabled_at).toBeNull();
    expect(row.secret.includes(Buffer.from(secret))).toBe(false);
    expect(row.secret.toString('latin1')).not.toContain(secret.slice(0, 8));

    // Not enabled yet: a sign-in check refuses even the right code.
    const first = await codeAt(secret, ctx.clock.now());
    expect(await verifyUserTotp(ctx.db, ctx.config, user.id, first, ctx.clock.now())).toBe(false);
    expect(await verifyUserTotp(ctx.db, ctx.config, user.id, first, ctx.clock.now(), { enrolment: true })).toBe(true);
    expect(readTotpSecret(ctx.db, ctx.config, user.id)!.enabled).toBe(true);
    // A second enrolment cannot replace an authenticator that is on.
    expect(startTotpEnrolment(ctx.db, ctx.config, user.id, ctx.clock.now())).toBeNull();

    // The enrolment code was used: replaying it at sign-in fails, within the same step or later.
    expect(await verifyUserTotp(ctx.db, ctx.config, user.id, first, ctx.clock.now())).toBe(false);
    ctx.clock.advance(30_000);
    expect(await verifyUserTotp(ctx.db, ctx.config, user.id, first, ctx.clock.now())).toBe(false);
    const next = await codeAt(secret, ctx.clock.now());
    expect(await verifyUserTotp(ctx.db, ctx.config, user.id, next, ctx.clock.now())).toBe(true);
    expect(await verifyUserTotp(ctx.db, ctx.config, user.id, next, ctx.clock.now())).toBe(false);
  });

  it('survive a key rotation and are re-encrypted with the new key on use', async () => {
    const ctx = makeApp();
    const user = getUserByUsername(ctx.db, (await enrol(ctx)).username)!;
    const secret = startTotpEnrolment(ctx.db, ctx.config, user.id, ctx.clock.now())!;
    const before = ctx.db.prepare('SELECT secret FROM totp_credentials').pluck().get() as Buffer;

    const newSecret = 'a-brand-new-quire-secret-after-rotation-000000';
    const rotated = testConfig(tempDir(), { QUIRE_SECRET: newSecret, QUIRE_SECRET_OLD: ctx.config.secret.toString('utf8') });
    expect(readTotpSecret(ctx.db, rotated, user.id)!.secret).toBe(secret);
    const after = ctx.db.prepare('SELECT secret FROM totp_credentials').pluck().get() as Buffer;
    expect(after.equals(before)).toBe(false);
    // Now only the new key is needed.
    const onlyNew = testConfig(tempDir(), { QUIRE_SECRET: newSecret });
    expect(readTotpSecret(ctx.db, onlyNew, user.id)!.secret).toBe(secret);
    // And the old key alone no longer reads it.
    expect(() => readTotpSecret(ctx.db, ctx.config, user.id)).toThrow();
  });
});

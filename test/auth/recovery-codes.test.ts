import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { generateRecoveryCode, issueRecoveryCodes, normalizeRecoveryCode, useRecoveryCode } from '../../src/auth/recovery-codes.js';
import { countUnusedRecoveryCodes } from '../../src/db/recovery-codes.js';
import { enrol, makeApp } from '../helpers.js';
import { getUserByUsername } from '../../src/db/users.js';

describe('recovery codes', () => {
  it('are 120 random bits in six readable groups of four', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const code = generateRecoveryCode();
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$/);
      seen.add(code);
    }
    expect(seen.size).toBe(200);
    // 24 characters of a 32-symbol alphabet: 24 × 5 = 120 bits ≥ 112.
    expect(24 * Math.log2(32)).toBeGreaterThanOrEqual(112);
  });

  it('forgive case, spaces, dashes, O for 0 and I or L for 1', () => {
    const code = '0123-4567-89AB-CDEF-GHJK-MNPQ';
    const canonical = '0123456789ABCDEFGHJKMNPQ';
    for (const typed of [
      code,
      code.toLowerCase(),
      ' 0123 4567 89ab cdef ghjk mnpq ',
      'O123-4567-89AB-CDEF-GHJK-MNPQ',
      'o1234567 89abcdefghjkmnpq',
      '0I23-4567-89AB-CDEF-GHJK-MNPQ',
      '0l23-4567-89AB-CDEF-GHJK-MNPQ',
      '0123.4567.89AB.CDEF.GHJK.MNPQ',
    ]) {
      expect(normalizeRecoveryCode(typed), typed).toBe(canonical);
    }
    expect(normalizeRecoveryCode('0123-4567-89AB-CDEF-GHJK-MNP')).toBeNull();
    expect(normalizeRecoveryCode('0123-4567-89AB-CDEF-GHJK-MNPU')).toBeNull();
    expect(normalizeRecoveryCode('')).toBeNull();
    expect(normalizeRecoveryCode(undefined)).toBeNull();
  });

  it('work once each, for their own account only, stored only as hashes; a new set replaces the old', async () => {
    const ctx = makeApp();
    const a = getUserByUsername(ctx.db, (await enrol(ctx, 'owner', 'A')).username)!;
    const b = getUserByUsername(ctx.db, (await enrol(ctx, 'writer', 'B')).username)!;
    const now = ctx.clock.now();
    const codes = issueRecoveryCodes(ctx.db, a.id, now);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const stored = ctx.db.prepare('SELECT code_hash FROM recovery_codes').pluck().all() as Buffer[];
    expect(stored.every((hash) => hash.length === 32)).toBe(true);
    const dump = ctx.db.prepare('SELECT * FROM recovery_codes').all();
    expect(JSON.stringify(dump)).not.toContain(codes[0]!.replace(/-/g, '').slice(0, 8));

    expect(useRecoveryCode(ctx.db, b.id, codes[0], now)).toBe(false);
    expect(useRecoveryCode(ctx.db, a.id, codes[0]!.toLowerCase().replace(/-/g, ' '), now)).toBe(true);
    expect(useRecoveryCode(ctx.db, a.id, codes[0], now)).toBe(false);
    expect(countUnusedRecoveryCodes(ctx.db, a.id)).toBe(9);

    // Used through another connection (another process, say): this one sees it as used.
    const other = openDatabase(path.join(ctx.dataDir, 'quire.db'));
    expect(useRecoveryCode(other, a.id, codes[1], now)).toBe(true);
    other.close();
    expect(useRecoveryCode(ctx.db, a.id, codes[1], now)).toBe(false);
    expect(countUnusedRecoveryCodes(ctx.db, a.id)).toBe(8);

    const fresh = issueRecoveryCodes(ctx.db, a.id, now);
    expect(useRecoveryCode(ctx.db, a.id, codes[2], now)).toBe(false);
    expect(useRecoveryCode(ctx.db, a.id, fresh[2], now)).toBe(true);
    expect(countUnusedRecoveryCodes(ctx.db, a.id)).toBe(9);
    expect(countUnusedRecoveryCodes(ctx.db, b.id)).toBe(0);
  });
});

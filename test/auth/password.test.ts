import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, verifyPassword } from '../../src/auth/password.js';
import { generateUsername } from '../../src/auth/usernames.js';

describe('generated credentials', () => {
  it('passwords carry at least 128 bits and never repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const password = generatePassword();
      expect(password).toMatch(/^[A-Za-z2-9]{6}(-[A-Za-z2-9]{6}){3}$/);
      seen.add(password);
    }
    expect(seen.size).toBe(200);
    // 24 characters from a 56-symbol alphabet.
    expect(24 * Math.log2(56)).toBeGreaterThanOrEqual(128);
  });

  it('usernames are word-word-NNNN and avoid taken ones', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const name = generateUsername((c) => taken.has(c));
      expect(name).toMatch(/^[a-z]+-[a-z]+-\d{4}$/);
      expect(taken.has(name)).toBe(false);
      taken.add(name);
    }
    expect(() => generateUsername(() => true)).toThrow(/free username/);
  });
});

describe('argon2id hashing', () => {
  it('hashes with the chosen parameters and verifies', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(hash).toMatch(/m=19456/);
    expect(hash).toMatch(/t=2/);
    expect(hash).toMatch(/p=1/);
    expect(await verifyPassword(hash, 'correct horse')).toEqual({ ok: true, rehash: null });
    expect((await verifyPassword(hash, 'wrong')).ok).toBe(false);
  });

  it('rehashes at sign-in when the parameters changed', async () => {
    const old = await argon2.hash('pw', { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 });
    const result = await verifyPassword(old, 'pw');
    expect(result.ok).toBe(true);
    expect(result.rehash).toMatch(/m=19456.*t=2/);
  });

  it('does the same work for an unknown account', async () => {
    expect(await verifyPassword(null, 'anything')).toEqual({ ok: false, rehash: null });
  });
});

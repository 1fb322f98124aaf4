import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { burnRecoveryCode, replaceRecoveryCodes } from '../db/recovery-codes.js';

export const RECOVERY_CODE_COUNT = 10;

// Crockford's Base32: digits and capitals without I, L, O and U, so nothing is ambiguous when
// written by hand or read aloud, and typing is forgiving (below).
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
// 15 random bytes = 120 bits = exactly 24 characters, printed as six groups of four.
const CODE_BYTES = 15;
const CODE_LENGTH = 24;
const GROUP = 4;

function toBase32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** "7K3Q-D9XH-M2PA-…": 120 bits from the CSPRNG, far above the 112-bit floor. */
export function generateRecoveryCode(): string {
  const plain = toBase32(randomBytes(CODE_BYTES));
  return plain.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
}

/**
 * The canonical form of a typed code, or null if it cannot be one. Forgiving in the ways people
 * slip: any case, spaces, dashes or dots between groups, O for 0, and I or L for 1.
 */
export function normalizeRecoveryCode(input: string | undefined): string | null {
  const code = (input ?? '')
    .toUpperCase()
    .replace(/[\s\-_.]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (code.length !== CODE_LENGTH) return null;
  for (const char of code) if (!ALPHABET.includes(char)) return null;
  return code;
}

/**
 * Codes carry 120 random bits, so a plain SHA-256 is enough: nobody can guess their way back from
 * the hash, and a slow password hash would add nothing but cost. The account id is hashed in so a
 * code is only ever good for the account it was made for.
 */
export function hashRecoveryCode(userId: number, normalized: string): Buffer {
  return createHash('sha256').update(`quire:recovery-code:${userId}:${normalized}`, 'utf8').digest();
}

/** A new set of codes for the account; the previous set stops working. Returns them for showing once. */
export function issueRecoveryCodes(db: Db, userId: number, now: number): string[] {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
  replaceRecoveryCodes(
    db,
    userId,
    codes.map((code) => hashRecoveryCode(userId, normalizeRecoveryCode(code)!)),
    now,
  );
  return codes;
}

/** Uses up a code if it is one of the account's unused ones. Each works exactly once. */
export function useRecoveryCode(db: Db, userId: number, input: string | undefined, now: number): boolean {
  const normalized = normalizeRecoveryCode(input);
  if (!normalized) return false;
  return burnRecoveryCode(db, userId, hashRecoveryCode(userId, normalized), now);
}

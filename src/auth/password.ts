import argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): costly for an attacker with a
// stolen database, about 20–40 ms for us on a small VPS.
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const PASSWORD_GROUPS = 4;
const GROUP_LENGTH = 6;

/**
 * A generated password: 24 characters from a 56-character alphabet without look-alikes
 * (log2(56) * 24 ≈ 139 bits), in dash-separated groups so a person can copy it by eye.
 * Rejection sampling over crypto.getRandomValues keeps every character equally likely.
 */
export function generatePassword(): string {
  const chars: string[] = [];
  const limit = 256 - (256 % PASSWORD_ALPHABET.length);
  const buffer = new Uint8Array(64);
  while (chars.length < PASSWORD_GROUPS * GROUP_LENGTH) {
    crypto.getRandomValues(buffer);
    for (const byte of buffer) {
      if (byte < limit && chars.length < PASSWORD_GROUPS * GROUP_LENGTH) chars.push(PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.length]!);
    }
  }
  const groups: string[] = [];
  for (let i = 0; i < PASSWORD_GROUPS; i++) groups.push(chars.slice(i * GROUP_LENGTH, (i + 1) * GROUP_LENGTH).join(''));
  return groups.join('-');
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies a password against a stored hash, or against a throwaway hash when the account
 * does not exist, so "no such user" and "wrong password" take the same time.
 * Returns whether it matched and, when it did, a fresh hash if the parameters changed.
 */
export async function verifyPassword(storedHash: string | null, password: string): Promise<{ ok: boolean; rehash: string | null }> {
  if (storedHash === null) {
    dummyHash ??= hashPassword(generatePassword());
    await argon2.verify(await dummyHash, password).catch(() => false);
    return { ok: false, rehash: null };
  }
  let ok: boolean;
  try {
    ok = await argon2.verify(storedHash, password);
  } catch {
    ok = false;
  }
  if (!ok) return { ok: false, rehash: null };
  const rehash = argon2.needsRehash(storedHash, ARGON2_OPTIONS) ? await hashPassword(password) : null;
  return { ok: true, rehash };
}

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { deriveKey } from './keys.js';

// Encryption at rest for secrets Quire must be able to read back (TOTP secrets): AES-256-GCM
// from node:crypto. GCM authenticates as well as encrypts, so a changed byte anywhere (or the
// ciphertext of another account pasted into this row) fails to decrypt instead of yielding junk.
//
// Layout: [key id: 1 byte][IV: 12 bytes][ciphertext][tag: 16 bytes]
//
// The key-id byte names the key that wrote the value. Keys come from QUIRE_SECRET and
// QUIRE_SECRET_OLD, which carry no numbers, so the id is a fingerprint byte of the derived key:
// after a rotation, values written under the old key are found by their id and decrypted with
// it, and re-encrypted with the current key on next use. Two keys can share a byte (1 in 256);
// then each is tried, and the tag tells which one is right.

const IV_BYTES = 12; // the size GCM is specified for; random per encryption, never reused with a key
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES;

export interface EncryptionKey {
  id: number;
  key: Buffer;
}

export interface KeyRing {
  current: EncryptionKey;
  /** Every key that may have written stored data, current first. */
  all: EncryptionKey[];
}

function keyFrom(secret: Buffer, purpose: string): EncryptionKey {
  // A separate HKDF purpose per use, so the TOTP key is not the cookie-signing key.
  const key = deriveKey(secret, purpose);
  const id = createHash('sha256').update('quire:key-id:').update(key).digest()[0]!;
  return { id, key };
}

/** The keys for one purpose (e.g. "totp-secret"): QUIRE_SECRET first, then the old ones. */
export function keyRing(config: Pick<Config, 'secret' | 'oldSecrets'>, purpose: string): KeyRing {
  const all = [config.secret, ...config.oldSecrets].map((secret) => keyFrom(secret, purpose));
  return { current: all[0]!, all };
}

/**
 * Encrypts with the current key. `associatedData` (e.g. "user:42") is authenticated but not
 * stored: the value decrypts only where the same associated data is given again.
 */
export function encrypt(ring: KeyRing, plaintext: Buffer, associatedData: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const header = Buffer.concat([Buffer.from([ring.current.id]), iv]);
  const cipher = createCipheriv('aes-256-gcm', ring.current.key, iv, { authTagLength: TAG_BYTES });
  // The header is authenticated too, so the key-id byte cannot be swapped unnoticed.
  cipher.setAAD(Buffer.concat([header, Buffer.from(associatedData, 'utf8')]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

export interface Decrypted {
  plaintext: Buffer;
  /** Written under an older key: store it again with encrypt() to finish a rotation. */
  stale: boolean;
}

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** Decrypts a value from encrypt(); throws DecryptionError if no known key opens it unchanged. */
export function decrypt(ring: KeyRing, stored: Buffer, associatedData: string): Decrypted {
  if (stored.length < HEADER_BYTES + TAG_BYTES) throw new DecryptionError('Encrypted value is too short');
  const id = stored[0]!;
  const header = stored.subarray(0, HEADER_BYTES);
  const iv = stored.subarray(1, HEADER_BYTES);
  const body = stored.subarray(HEADER_BYTES, stored.length - TAG_BYTES);
  const tag = stored.subarray(stored.length - TAG_BYTES);
  const candidates = ring.all.filter((k) => k.id === id);
  for (const candidate of candidates) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', candidate.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.concat([header, Buffer.from(associatedData, 'utf8')]));
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([decipher.update(body), decipher.final()]);
      return { plaintext, stale: candidate !== ring.current };
    } catch {
      // Wrong key with a colliding id, or tampering: try the next candidate, then give up.
    }
  }
  throw new DecryptionError(
    candidates.length === 0
      ? `Encrypted value was written with a key Quire no longer has (key id ${id}); is QUIRE_SECRET_OLD missing the previous key?`
      : 'Encrypted value failed authentication (changed, or associated with another record)',
  );
}

import { describe, expect, it } from 'vitest';
import { decrypt, DecryptionError, encrypt, keyRing } from '../../src/auth/encryption.js';

const secretA = Buffer.from('first-secret-that-is-long-enough-0123456789');
const secretB = Buffer.from('second-secret-that-is-long-enough-987654321');
const plaintext = Buffer.from('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');

describe('encryption at rest (AES-256-GCM)', () => {
  const ring = keyRing({ secret: secretA, oldSecrets: [] }, 'totp-secret');

  it('round-trips, with a fresh IV every time and no plaintext in the stored bytes', () => {
    const one = encrypt(ring, plaintext, 'totp:user:1');
    const two = encrypt(ring, plaintext, 'totp:user:1');
    expect(one.equals(two)).toBe(false);
    expect(one.subarray(1, 13).equals(two.subarray(1, 13))).toBe(false);
    expect(one.includes(plaintext)).toBe(false);
    expect(one.length).toBe(1 + 12 + plaintext.length + 16);
    expect(one[0]).toBe(ring.current.id);
    const opened = decrypt(ring, one, 'totp:user:1');
    expect(opened.plaintext.equals(plaintext)).toBe(true);
    expect(opened.stale).toBe(false);
  });

  it('detects any changed byte: key id, IV, ciphertext or tag', () => {
    const stored = encrypt(ring, plaintext, 'totp:user:1');
    for (let i = 0; i < stored.length; i++) {
      const tampered = Buffer.from(stored);
      tampered[i] = tampered[i]! ^ 0x01;
      expect(() => decrypt(ring, tampered, 'totp:user:1'), `byte ${i}`).toThrow(DecryptionError);
    }
    expect(() => decrypt(ring, stored.subarray(0, 20), 'totp:user:1')).toThrow(DecryptionError);
  });

  it('binds the value to its associated data (the user id)', () => {
    const stored = encrypt(ring, plaintext, 'totp:user:1');
    expect(() => decrypt(ring, stored, 'totp:user:2')).toThrow(/failed authentication/);
  });

  it('keys differ per purpose and per secret', () => {
    const stored = encrypt(ring, plaintext, 'x');
    expect(() => decrypt(keyRing({ secret: secretA, oldSecrets: [] }, 'other-purpose'), stored, 'x')).toThrow(DecryptionError);
    expect(() => decrypt(keyRing({ secret: secretB, oldSecrets: [] }, 'totp-secret'), stored, 'x')).toThrow(DecryptionError);
  });

  it('rotates: an old key in QUIRE_SECRET_OLD still decrypts and the value is marked stale', () => {
    const stored = encrypt(ring, plaintext, 'totp:user:7');
    const rotated = keyRing({ secret: secretB, oldSecrets: [secretA] }, 'totp-secret');
    const opened = decrypt(rotated, stored, 'totp:user:7');
    expect(opened.plaintext.equals(plaintext)).toBe(true);
    expect(opened.stale).toBe(true);
    const rewritten = encrypt(rotated, opened.plaintext, 'totp:user:7');
    expect(rewritten[0]).toBe(rotated.current.id);
    expect(decrypt(rotated, rewritten, 'totp:user:7').stale).toBe(false);
    // Without the old key the value cannot be read, and the error says why.
    expect(() => decrypt(keyRing({ secret: secretB, oldSecrets: [] }, 'totp-secret'), stored, 'totp:user:7')).toThrow(
      stored[0] === rotated.current.id ? /failed authentication/ : /QUIRE_SECRET_OLD/,
    );
  });

  it('tries every key whose id byte matches, so a 1-in-256 id collision still decrypts', () => {
    // Find two secrets whose derived keys share an id byte.
    const byId = new Map<number, Buffer>();
    let pair: [Buffer, Buffer] | undefined;
    for (let i = 0; !pair; i++) {
      const secret = Buffer.from(`collision-search-secret-long-enough-${i}`);
      const id = keyRing({ secret, oldSecrets: [] }, 'totp-secret').current.id;
      const other = byId.get(id);
      if (other) pair = [other, secret];
      else byId.set(id, secret);
    }
    const [older, newer] = pair;
    const stored = encrypt(keyRing({ secret: older, oldSecrets: [] }, 'totp-secret'), plaintext, 'a');
    const both = keyRing({ secret: newer, oldSecrets: [older] }, 'totp-secret');
    expect(both.current.id).toBe(stored[0]);
    const opened = decrypt(both, stored, 'a');
    expect(opened.plaintext.equals(plaintext)).toBe(true);
    expect(opened.stale).toBe(true);
  });
});

import { hkdfSync } from 'node:crypto';

/**
 * One secret, several independent keys: each purpose gets its own key derived with HKDF, so
 * a key used to sign cookies can never be confused with the one that encrypts TOTP secrets.
 */
export function deriveKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `quire:${purpose}`, 32));
}

// Authenticator-app codes (TOTP, RFC 6238) with otplib ≥ 13.5 (earlier 13.x ignored
// afterTimeStep, which our replay protection relies on).
import { createRequire } from 'node:module';
import type * as Otplib from 'otplib';
import type * as Uqr from 'uqr';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { acceptTimeStep, getTotpCredential, replaceTotpSecret, savePendingTotp } from '../db/totp.js';
import { decrypt, encrypt, keyRing, type KeyRing } from './encryption.js';

// What every authenticator app understands: SHA-1, 6 digits, 30 s. (SHA-1's weaknesses are
// about collisions, which do not matter inside HMAC.)
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
// 160 bits, the RFC 4226 recommendation and what apps expect from a QR code.
const SECRET_BYTES = 20;
// One step either side: a phone clock a little off, or a code typed as it changed, still works,
// while a code stays usable for at most about 90 seconds.
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;

// otplib (with its crypto and Base32 plugins) and uqr are loaded on first use: a few MB and
// 25 ms at start that readers never need. Both ship CommonJS builds, so require() loads them in
// place and these functions stay synchronous.
const require = createRequire(import.meta.url);
let otplib: typeof Otplib | undefined;
let uqr: typeof Uqr | undefined;
const loadOtplib = () => (otplib ??= require('otplib') as typeof Otplib);
const loadUqr = () => (uqr ??= require('uqr') as typeof Uqr);

function totpKeys(config: Pick<Config, 'secret' | 'oldSecrets'>): KeyRing {
  return keyRing(config, 'totp-secret');
}

// The user id is authenticated with the ciphertext, so a secret copied into another account's
// row does not decrypt there.
const associatedData = (userId: number) => `totp:user:${userId}`;

/** A new Base32 secret of 160 bits from the CSPRNG. */
export function newTotpSecret(): string {
  return loadOtplib().generateSecret({ length: SECRET_BYTES });
}

/** "ABCD EFGH …": the secret as a person types it into an app without a camera. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

export function totpUri(secret: string, issuer: string, accountName: string): string {
  return loadOtplib().generateURI({ issuer, label: accountName, secret, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS });
}

/**
 * The otpauth URI as an SVG QR code, made on the server (no third-party service ever sees the
 * secret). A quiet zone of four modules, as the QR specification asks, helps phone cameras.
 */
export function qrCodeSvg(text: string): string {
  return loadUqr().renderSVG(text, { ecc: 'M', border: 4, pixelSize: 6 });
}

/** Six digits, forgiving spaces and dashes ("123 456"); null for anything else. */
export function normalizeTotpCode(raw: string | undefined): string | null {
  const code = (raw ?? '').replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : null;
}

/**
 * The time step a code belongs to if it is valid at `nowMs` (within one step either side) and
 * later than `afterTimeStep`, or null.
 */
export async function matchTotpCode(secret: string, code: string, nowMs: number, afterTimeStep: number | null): Promise<number | null> {
  const normalized = normalizeTotpCode(code);
  if (!normalized) return null;
  const epoch = Math.floor(nowMs / 1000);
  const newest = Math.floor((epoch + TOLERANCE_SECONDS) / TOTP_PERIOD_SECONDS);
  // Every step in the window was already used (or the clock went back): nothing can match,
  // and otplib would refuse an afterTimeStep beyond its window.
  if (afterTimeStep !== null && afterTimeStep >= newest) return null;
  const result = await loadOtplib().verify({
    secret,
    token: normalized,
    epoch,
    algorithm: 'sha1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOLERANCE_SECONDS,
    afterTimeStep: afterTimeStep ?? undefined,
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

// ── Stored secrets ──────────────────────────────────────────────────────────

/** Starts an enrolment with a fresh secret (replacing an unfinished one); null if TOTP is already on. */
export function startTotpEnrolment(db: Db, config: Pick<Config, 'secret' | 'oldSecrets'>, userId: number, now: number): string | null {
  const secret = newTotpSecret();
  const stored = encrypt(totpKeys(config), Buffer.from(secret, 'utf8'), associatedData(userId));
  return savePendingTotp(db, userId, stored, now) ? secret : null;
}

export interface StoredTotp {
  secret: string;
  enabled: boolean;
  lastTimeStep: number | null;
}

/** The account's secret, decrypted; re-encrypted with the current key if an old key wrote it. */
export function readTotpSecret(db: Db, config: Pick<Config, 'secret' | 'oldSecrets'>, userId: number): StoredTotp | null {
  const credential = getTotpCredential(db, userId);
  if (!credential) return null;
  const ring = totpKeys(config);
  const { plaintext, stale } = decrypt(ring, credential.secret, associatedData(userId));
  if (stale) replaceTotpSecret(db, userId, encrypt(ring, plaintext, associatedData(userId)));
  return { secret: plaintext.toString('utf8'), enabled: credential.enabledAt !== null, lastTimeStep: credential.lastTimeStep };
}

/**
 * Checks a code for the account and, if it is right and not used before, records its time step
 * so it can never be accepted again. `enrolment` checks against the pending secret and turns
 * TOTP on; otherwise only an enabled authenticator counts.
 */
export async function verifyUserTotp(
  db: Db,
  config: Pick<Config, 'secret' | 'oldSecrets'>,
  userId: number,
  code: string,
  now: number,
  { enrolment = false }: { enrolment?: boolean } = {},
): Promise<boolean> {
  const stored = readTotpSecret(db, config, userId);
  // An enrolment checks the pending secret only; a sign-in only an authenticator that is on.
  if (!stored || (enrolment ? stored.enabled : !stored.enabled)) return false;
  const step = await matchTotpCode(stored.secret, code, now, stored.lastTimeStep);
  if (step === null) return false;
  // The database has the last word: a parallel request that used the same step first wins.
  return acceptTimeStep(db, userId, step, now, enrolment);
}

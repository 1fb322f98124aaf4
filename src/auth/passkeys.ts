// Passkeys (WebAuthn) with @simplewebauthn/server. The relying party id and the expected origin
// come from PUBLIC_URL (config) only, never from Host or Origin headers, which a client chooses.
import { randomBytes } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import {
  consumeChallenge,
  countLiveChallenges,
  ensureUserHandle,
  getPasskeyByCredentialId,
  getUserHandle,
  insertChallenge,
  insertPasskey,
  listPasskeys,
  recordPasskeyUse,
  type ChallengePurpose,
  type Passkey,
} from '../db/passkeys.js';
import type { User } from '../db/users.js';
import { MINUTE } from '../lib/clock.js';

/** Challenges are single-use and die after five minutes: long enough to find a phone. */
export const CHALLENGE_LIFETIME = 5 * MINUTE;
/** Sign-in challenges are made for anyone who opens the sign-in page; this bounds the table. */
const MAX_LIVE_SIGN_IN_CHALLENGES = 10_000;
// EdDSA, ES256, RS256: what platform authenticators and security keys actually use. Named
// explicitly so registration and verification agree whatever the library's default becomes.
const ALGORITHMS = [-8, -7, -257];
export const MAX_PASSKEY_NAME = 60;

type WebAuthnConfig = Pick<Config, 'rpId' | 'origin'>;

type WebAuthn = typeof import('@simplewebauthn/server');
let loading: Promise<WebAuthn> | undefined;

/**
 * @simplewebauthn/server, loaded when a passkey is first used or set up. With its CBOR, ASN.1 and
 * crypto dependencies it adds about 20 MB to the process and 150 ms to its start, and readers
 * never need it.
 */
function loadWebAuthn(): Promise<WebAuthn> {
  return (loading ??= import('@simplewebauthn/server').catch((error: unknown) => {
    // Not cached: a failed load is tried again next time.
    loading = undefined;
    throw error;
  }));
}

/** The account's WebAuthn user handle: 32 random bytes, made once, saying nothing about the person. */
function userHandleFor(db: Db, userId: number): Buffer {
  return getUserHandle(db, userId) ?? ensureUserHandle(db, userId, randomBytes(32));
}

function saveChallenge(db: Db, challenge: string, purpose: ChallengePurpose, userId: number | null, now: number): void {
  insertChallenge(db, { challenge, purpose, userId, expiresAt: now + CHALLENGE_LIFETIME }, now);
}

// ── Registration ─────────────────────────────────────────────────────────────

export async function registrationOptions(
  db: Db,
  config: WebAuthnConfig,
  user: Pick<User, 'id' | 'username' | 'displayName'>,
  siteTitle: string,
  now: number,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { generateRegistrationOptions } = await loadWebAuthn();
  const options = await generateRegistrationOptions({
    rpName: siteTitle,
    rpID: config.rpId,
    userName: user.username,
    userDisplayName: user.displayName,
    userID: new Uint8Array(userHandleFor(db, user.id)),
    timeout: CHALLENGE_LIFETIME,
    // Nothing here depends on which authenticator it is, so nothing identifying is asked for.
    attestationType: 'none',
    // The same authenticator twice would only be a confusing duplicate in the list.
    excludeCredentials: listPasskeys(db, user.id).map((p) => ({ id: p.credentialId, transports: p.transports })),
    // Discoverable, so signing in needs no username; user verification (PIN, fingerprint, face)
    // required, so a passkey is two factors in one and can stand in for the second step.
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    supportedAlgorithmIDs: ALGORITHMS,
  });
  saveChallenge(db, options.challenge, 'register', user.id, now);
  return options;
}

export type PasskeyResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The browser's response, handed over as JSON text in a form field; null if it is not one. */
export function parseCredentialJson<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(raw: string | undefined): T | null {
  if (!raw || raw.length > 64 * 1024) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const candidate = value as Record<string, unknown>;
    if (typeof candidate.id !== 'string' || typeof candidate.rawId !== 'string' || candidate.type !== 'public-key') return null;
    if (typeof candidate.response !== 'object' || candidate.response === null) return null;
    return value as T;
  } catch {
    return null;
  }
}

export async function registerPasskey(
  db: Db,
  config: WebAuthnConfig,
  userId: number,
  response: RegistrationResponseJSON,
  name: string,
  now: number,
): Promise<PasskeyResult<Passkey>> {
  const { verifyRegistrationResponse } = await loadWebAuthn();
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: (challenge) => consumeChallenge(db, challenge, 'register', userId, now),
      expectedOrigin: config.origin,
      expectedRPID: config.rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  if (!verified.verified) return { ok: false, reason: 'not verified' };
  const { credential, credentialBackedUp } = verified.registrationInfo;
  if (getPasskeyByCredentialId(db, credential.id)) return { ok: false, reason: 'already registered' };
  const id = insertPasskey(db, {
    userId,
    credentialId: credential.id,
    publicKey: credential.publicKey,
    counter: credential.counter,
    transports: credential.transports ?? response.response.transports ?? [],
    name,
    backedUp: credentialBackedUp,
    now,
  });
  return {
    ok: true,
    value: {
      id,
      userId,
      credentialId: credential.id,
      publicKey: new Uint8Array(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? [],
      name,
      backedUp: credentialBackedUp,
      createdAt: now,
      lastUsedAt: null,
    },
  };
}

// ── Authentication ───────────────────────────────────────────────────────────

/**
 * Options for signing in (no account known: the authenticator offers its discoverable
 * passkeys) or for re-confirming a signed-in account (only that account's passkeys).
 * Null when too many sign-in challenges are outstanding (someone is flooding the endpoint).
 */
export async function authenticationOptions(
  db: Db,
  config: WebAuthnConfig,
  purpose: 'sign-in' | 'confirm',
  userId: number | null,
  now: number,
): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
  if (purpose === 'sign-in' && countLiveChallenges(db, 'sign-in', now) >= MAX_LIVE_SIGN_IN_CHALLENGES) return null;
  const allowCredentials =
    userId === null ? [] : listPasskeys(db, userId).map((p) => ({ id: p.credentialId, transports: p.transports }));
  const { generateAuthenticationOptions } = await loadWebAuthn();
  const options = await generateAuthenticationOptions({
    rpID: config.rpId,
    allowCredentials,
    timeout: CHALLENGE_LIFETIME,
    userVerification: 'required',
  });
  saveChallenge(db, options.challenge, purpose, userId, now);
  return options;
}

/**
 * Verifies a passkey assertion and returns the passkey that made it. For 'confirm', the passkey
 * must belong to `userId`. The counter and last use are stored.
 */
export async function verifyPasskeyAssertion(
  db: Db,
  config: WebAuthnConfig,
  response: AuthenticationResponseJSON,
  purpose: 'sign-in' | 'confirm',
  userId: number | null,
  now: number,
): Promise<PasskeyResult<Passkey>> {
  const passkey = getPasskeyByCredentialId(db, response.id);
  // The challenge is consumed whatever happens next, so a refused response cannot be retried.
  const burnChallenge = () => {
    try {
      const challenge = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
      if (typeof challenge.challenge === 'string') consumeChallenge(db, challenge.challenge, purpose, userId, now);
    } catch {
      // Not even readable: there is no challenge to burn.
    }
  };
  if (!passkey) {
    burnChallenge();
    return { ok: false, reason: 'unknown credential' };
  }
  if (purpose === 'confirm' && passkey.userId !== userId) {
    burnChallenge();
    return { ok: false, reason: 'credential belongs to another account' };
  }
  // The authenticator names the account it holds the passkey for. It must be the account that
  // registered this credential id, or a passkey could be replayed under someone else's name.
  const handle = getUserHandle(db, passkey.userId);
  const returnedHandle = response.response.userHandle;
  if (purpose === 'sign-in' && !returnedHandle) {
    burnChallenge();
    return { ok: false, reason: 'no user handle' };
  }
  if (returnedHandle && (!handle || Buffer.compare(Buffer.from(returnedHandle, 'base64url'), handle) !== 0)) {
    burnChallenge();
    return { ok: false, reason: 'user handle does not match the credential owner' };
  }
  const { verifyAuthenticationResponse } = await loadWebAuthn();
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: (challenge) => consumeChallenge(db, challenge, purpose, userId, now),
      expectedOrigin: config.origin,
      expectedRPID: config.rpId,
      credential: { id: passkey.credentialId, publicKey: passkey.publicKey, counter: passkey.counter, transports: passkey.transports },
      requireUserVerification: true,
    });
  } catch (error) {
    burnChallenge();
    return { ok: false, reason: (error as Error).message };
  }
  if (!verified.verified) return { ok: false, reason: 'not verified' };
  const { newCounter, credentialBackedUp } = verified.authenticationInfo;
  recordPasskeyUse(db, passkey.id, newCounter, credentialBackedUp, now);
  return { ok: true, value: { ...passkey, counter: newCounter, backedUp: credentialBackedUp, lastUsedAt: now } };
}

/** A passkey name a person typed, tidied; or a default from the browser ("Chrome on Linux"). */
export function cleanPasskeyName(raw: string | undefined, fallback: string): { value: string; error?: string } {
  const value = (raw ?? '').replace(/\s+/g, ' ').trim();
  if (!value) return { value: fallback.slice(0, MAX_PASSKEY_NAME) };
  if (value.length > MAX_PASSKEY_NAME) return { value, error: `Please keep the name to ${MAX_PASSKEY_NAME} characters (it has ${value.length}).` };
  return { value };
}

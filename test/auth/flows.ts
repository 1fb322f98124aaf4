// What a person does on the account pages, as HTTP steps, for the route tests. Each helper
// goes through the real pages (no shortcuts into the database), so a broken page breaks them.
import { generate } from 'otplib';
import { expect } from 'vitest';
import { Client, type makeApp } from '../helpers.js';
import type { SoftAuthenticator } from './soft-authenticator.js';

export type Ctx = ReturnType<typeof makeApp>;

/** The code an authenticator app shows at `ms`, computed by otplib. */
export function codeAt(secret: string, ms: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(ms / 1000) });
}

/** A six-digit code that is none of the codes valid around `ms` (one step either side). */
export async function wrongCodeAt(secret: string, ms: number): Promise<string> {
  const valid = await Promise.all([-30_000, 0, 30_000].map((offset) => codeAt(secret, ms + offset)));
  let wrong = (Number(valid[1]) + 500_000) % 1_000_000;
  while (valid.includes(String(wrong).padStart(6, '0'))) wrong = (wrong + 1) % 1_000_000;
  return String(wrong).padStart(6, '0');
}

/** The TOTP secret as the setup page shows it for typing by hand, without its spaces. */
export function totpSecretFrom(html: string): string {
  const shown = html.match(/id="totp-secret"[^>]*>([^<]+)</)?.[1];
  if (!shown) throw new Error('The setup page shows no secret');
  return shown.replace(/\s+/g, '');
}

/** The recovery codes a page shows once. */
export function recoveryCodesFrom(html: string): string[] {
  return [...html.matchAll(/<li><code>([0-9A-Z]{4}(?:-[0-9A-Z]{4}){5})<\/code><\/li>/g)].map((m) => m[1]!);
}

/** Turns on an authenticator app through the account pages; returns its secret and the recovery codes shown. */
export async function turnOnTotp(ctx: Ctx, client: Client): Promise<{ secret: string; codes: string[] }> {
  const start = await client.post('/account/totp/start');
  expect(start.headers.get('location')).toBe('/account/totp/setup');
  const setup = await client.get('/account/totp/setup');
  expect(setup.status).toBe(200);
  const secret = totpSecretFrom(await setup.text());
  const done = await client.post('/account/totp/setup', { code: await codeAt(secret, ctx.clock.now()) });
  expect(done.status).toBe(200);
  const codes = recoveryCodesFrom(await done.text());
  expect(codes).toHaveLength(10);
  return { secret, codes };
}

/** The first sign-in step in a fresh browser; returns the client and where it was sent. */
export async function passwordStep(ctx: Ctx, username: string, password: string, form: Record<string, string> = {}) {
  const client = new Client(ctx.app, ctx.config.origin);
  const response = await client.post('/login', { username, password, ...form });
  return { client, response, location: response.headers.get('location') };
}

/** Registers a passkey for the signed-in client with a software authenticator. */
export async function addPasskey(client: Client, authenticator: SoftAuthenticator, name = '') {
  const options = await client.postJson('/account/passkeys/options', {});
  expect(options.status).toBe(200);
  const answer = authenticator.create(await options.json());
  return client.post('/account/passkeys', { response: JSON.stringify(answer), name });
}

/** Signs in with a passkey: options, the authenticator's answer, the POST. */
export async function passkeySignIn(client: Client, authenticator: SoftAuthenticator, behaviour: Parameters<SoftAuthenticator['get']>[1] = {}) {
  const options = await client.postJson('/login/passkey/options', {});
  expect(options.status).toBe(200);
  const answer = authenticator.get(await options.json(), behaviour);
  return client.post('/login/passkey', { response: JSON.stringify(answer), via: 'button' });
}

/** Security events recorded for an account, oldest first. */
export function eventsOf(ctx: Ctx, userId: number): { type: string; detail: string }[] {
  return ctx.db.prepare('SELECT type, detail FROM security_events WHERE user_id = ? ORDER BY id').all(userId) as { type: string; detail: string }[];
}

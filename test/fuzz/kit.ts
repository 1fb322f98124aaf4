// What the fuzz tests share: the routes, taken from the app itself (so a new route is fuzzed the
// day it lands), a small blog to aim them at, bodies of every shape a client can send, and a
// fingerprint of the database to prove that a refused request changed nothing.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { createInvite } from '../../src/auth/invites.js';
import { issueRecoveryLink } from '../../src/auth/recovery-links.js';
import { PENDING_SIGN_IN_LIFETIME } from '../../src/auth/second-factor.js';
import { sessionCookieName, startSession } from '../../src/auth/session.js';
import { hashToken, randomToken } from '../../src/auth/tokens.js';
import { insertPendingSignIn } from '../../src/db/pending-sign-ins.js';
import { getUserById, getUserByUsername, type User } from '../../src/db/users.js';
import { MINUTE } from '../../src/lib/clock.js';
import { turnOnTotp } from '../auth/flows.js';
import { Client, enrol, makeApp } from '../helpers.js';

export type Ctx = ReturnType<typeof makeApp>;

/** Every run is repeatable: a failure prints its seed and path, and this seed replays the run. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261123);
/** Runs per route and per signed-in state; FUZZ_RUNS raises it for a longer hunt (at most 200 by default rules). */
export const FUZZ_RUNS = Math.min(200, Math.max(1, Number(process.env.FUZZ_RUNS ?? 40)));
/** Per-test time limit, growing with FUZZ_RUNS: a bound on a hung run, not a timing assertion. */
export const FUZZ_TIMEOUT = 30_000 + FUZZ_RUNS * 1_000;

// ── Routes ─────────────────────────────────────────────────────────────────────

/** The app's own route table: method and path pattern of every handler (middleware excluded). */
export function routesOf(app: Ctx['app'], method: string): string[] {
  const seen = new Set<string>();
  for (const route of app.routes) if (route.method === method) seen.add(route.path);
  return [...seen];
}

/** The account and sign-in area; everything else is content (writing, members, settings, media). */
export function isAccountRoute(pattern: string): boolean {
  return /^\/(login|logout|invite|recover|account|welcome)(\/|$)/.test(pattern);
}

/** POST routes a signed-out visitor may legitimately change data through. */
const SIGNED_OUT_WRITES = /^\/(login|invite|recover)(\/|$)/;

// ── The blog the requests are aimed at ───────────────────────────────────────────

export interface World {
  ctx: Ctx;
  owner: User;
  writer: User;
  ownerPassword: string;
  /** The owner's authenticator secret: TOTP is on for the owner. */
  ownerTotpSecret: string;
  ownerRecoveryCodes: string[];
  postId: number;
  revisionId: number;
  inviteId: number;
  recoveryLinkId: number;
  otherSessionId: number;
}

/**
 * Two accounts and what hangs off them, so handlers get past their first check: the owner has
 * an authenticator app on, the writer has started turning one on; there is a draft with
 * history, a pending invite and a recovery link.
 */
export async function makeWorld(): Promise<World> {
  const ctx = makeApp();
  const ownerEnrolment = await enrol(ctx, 'owner', 'Olive Owner');
  const writerEnrolment = await enrol(ctx, 'writer', 'Wren Writer');
  const owner = getUserByUsername(ctx.db, ownerEnrolment.username)!;
  const writer = getUserByUsername(ctx.db, writerEnrolment.username)!;
  const client = ownerEnrolment.client;
  const totp = await turnOnTotp(ctx, client);
  expect((await writerEnrolment.client.post('/account/totp/start')).status).toBe(303);
  const created = await client.post('/write/new');
  const postId = Number(created.headers.get('location')!.split('/').pop());
  // Two saves half an hour apart: two entries in the history.
  let base = 1;
  for (const text of ['First words.', 'Second session.']) {
    const saved = await client.postJson(`/api/posts/${postId}`, { baseRevision: base, title: 'A draft', html: `<p>${text}</p>`, tags: ['fuzz'] });
    expect(saved.status).toBe(200);
    base = ((await saved.json()) as { post: { revision: number } }).post.revision;
    ctx.clock.advance(31 * MINUTE);
  }
  const revisionId = ctx.db.prepare('SELECT id FROM revisions WHERE post_id = ? ORDER BY id LIMIT 1').pluck().get(postId) as number;
  const inviteId = createInvite(ctx.db, ctx.config.publicUrl, 'writer', owner.id, ctx.clock.now()).id;
  const recoveryLinkId = issueRecoveryLink(ctx.db, ctx.config.publicUrl, writer, owner, ctx.clock.now()).id;
  const otherSessionId = startSession(ctx.db, owner.id, ctx.clock.now(), 'Other browser').session.id;
  return {
    ctx,
    owner,
    writer,
    ownerPassword: ownerEnrolment.password,
    ownerTotpSecret: totp.secret,
    ownerRecoveryCodes: totp.codes,
    postId,
    revisionId,
    inviteId,
    recoveryLinkId,
    otherSessionId,
  };
}

/**
 * A browser with a fresh session for `user` (signed in just now), or signed out. On the second
 * sign-in step's routes it is also halfway through the owner's sign-in (password accepted, code
 * not yet given), as the password step leaves it. Null when the account is gone (a fuzzed
 * request may have deleted it).
 */
export function browserFor(world: World, user: User | null, pattern: string): Client | null {
  const { ctx } = world;
  const client = new Client(ctx.app, ctx.config.origin);
  if (pattern.startsWith('/login/') && getUserById(ctx.db, world.owner.id)) {
    const token = randomToken(32);
    const now = ctx.clock.now();
    insertPendingSignIn(ctx.db, { tokenHash: hashToken(token), userId: world.owner.id, next: null, now, expiresAt: now + PENDING_SIGN_IN_LIFETIME });
    client.cookies.set('quire_pending', token);
  }
  if (user) {
    if (!getUserById(world.ctx.db, user.id)) return null;
    const { token } = startSession(world.ctx.db, user.id, world.ctx.clock.now(), 'Fuzz browser');
    client.cookies.set(sessionCookieName(world.ctx.config), token);
  }
  return client;
}

/** Junk where a path parameter goes: what a hand-edited or hostile URL may carry. */
export const junkParam = fc.constantFrom('0', '-1', '1.5', 'abc', '%00', '%2e%2e', '99999999999999999999999', '1e3', '%F0%9F%92%A9', 'x'.repeat(300));

/** The pattern with its parameters filled in: real ids and fresh tokens, or junk. */
export function fillPath(world: World, pattern: string, junk: string | null): string {
  const { ctx } = world;
  return pattern.replace(/:([a-z]+)(\{[^}]*\})?/g, (_whole, name: string, constraint: string | undefined) => {
    // A constrained parameter ({[0-9]+}) would not match junk: the route would never be reached.
    if (junk !== null && !constraint) return junk;
    if (name === 'token' && pattern.startsWith('/invite/')) {
      return createInvite(ctx.db, ctx.config.publicUrl, 'writer', world.owner.id, ctx.clock.now()).token;
    }
    if (name === 'token' && pattern.startsWith('/recover/')) {
      return new URL(issueRecoveryLink(ctx.db, ctx.config.publicUrl, world.writer, world.owner, ctx.clock.now()).link).pathname.split('/').pop()!;
    }
    if (name === 'rid') return String(world.revisionId);
    if (pattern.startsWith('/members/invites/')) return String(world.inviteId);
    if (pattern.startsWith('/members/recovery-links/')) return String(world.recoveryLinkId);
    if (pattern.startsWith('/members/')) return String(world.writer.id);
    if (pattern.startsWith('/account/sessions/')) return String(world.otherSessionId);
    if (pattern.startsWith('/write/') || pattern.startsWith('/api/posts/')) return String(world.postId);
    return '1';
  });
}

// ── Bodies ────────────────────────────────────────────────────────────────────

/** Every field name a Quire form or JSON body reads, and some no form has. */
const FIELD_NAMES = [
  'username', 'password', 'next', 'display_name', 'code', 'recovery_code', 'response', 'via', 'name', 'role', 'posts', 'heir',
  'confirm', 'publish_at', 'tz_offset', 'title', 'description', 'language', 'about', 'keep_originals', 'file', 'baseRevision',
  'html', 'slug', 'excerpt', 'tags', 'significant', '__proto__', 'constructor', 'toString', '',
];

const nasty = fc.constantFrom(
  '', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', '[]', '{}', '\u0000', '\ud800', '\uffff', '\u202e', '%00', '%C3%28', '%FF%FE',
  '../../../../etc/passwd', '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '//evil.example', '/\\evil.example',
  'javascript:alert(1)', 'owner', 'writer', 'delete', 'hand', '2026-12-01T09:30', '2026-02-31T25:61', '123456', '000000',
  'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF', '{"id":"a","rawId":"a","type":"public-key","response":{}}', '9'.repeat(400),
);

/** Field values: short strings of any code point, numbers, attack strings, and now and then a huge one. */
export const fieldValue = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  { arbitrary: nasty, weight: 4 },
  { arbitrary: fc.integer().map(String), weight: 1 },
  { arbitrary: fc.integer({ min: 5_000, max: 300_000 }).map((n) => 'é'.repeat(n)), weight: 1 },
);

const anyFields = fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 12 })), fieldValue, { maxKeys: 8 });

/** A JSON value of the wrong type for a text field: numbers, booleans, null, arrays, objects. */
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);
const textOrWrong = fc.oneof(fieldValue, wrongType);

/** Stands for the post's current revision in a generated body; filled in just before sending. */
const CURRENT_REVISION = 'CURRENT_REVISION';

/** An autosave as static/editor.js sends it, usually naming a plausible revision, every other part possibly wrong. */
const editorSave = fc.record(
  {
    baseRevision: fc.oneof(
      // Mostly the revision the post is at when the request goes out, so the save gets past the conflict check.
      { arbitrary: fc.constant(CURRENT_REVISION), weight: 6 },
      { arbitrary: fc.integer({ min: 1, max: 12 }), weight: 2 },
      { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.constant(Number.MAX_SAFE_INTEGER + 2), fc.jsonValue({ maxDepth: 2 })), weight: 1 },
    ),
    title: textOrWrong,
    html: fc.oneof(textOrWrong, fc.constant('<p>'.repeat(2000)), fc.constant('<img src="data:image/png;base64,AAAA">'), fc.constant('<img src="/media/../../quire.db">')),
    slug: textOrWrong,
    excerpt: textOrWrong,
    tags: fc.oneof(fc.array(textOrWrong, { maxLength: 300 }), textOrWrong),
    significant: fc.oneof(fc.boolean(), wrongType),
  },
  { requiredKeys: ['baseRevision'] },
);

/** JSON values shaped like what the editor and the passkey pages send, with every part possibly wrong. */
const jsonLike = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      baseRevision: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.jsonValue({ maxDepth: 2 })),
      title: fc.oneof(fieldValue, fc.jsonValue({ maxDepth: 2 })),
      html: fc.oneof(fieldValue, fc.jsonValue({ maxDepth: 2 }), fc.constant('<p>'.repeat(2000))),
      slug: fc.oneof(fieldValue, fc.jsonValue({ maxDepth: 1 })),
      excerpt: fieldValue,
      tags: fc.oneof(fc.array(fc.oneof(fieldValue, fc.jsonValue({ maxDepth: 1 })), { maxLength: 300 }), fieldValue, fc.jsonValue({ maxDepth: 2 })),
      significant: fc.jsonValue({ maxDepth: 1 }),
      id: fieldValue,
      rawId: fieldValue,
      type: fc.constantFrom('public-key', 'x'),
      response: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.dictionary(fc.constantFrom('clientDataJSON', 'attestationObject', 'authenticatorData', 'signature', 'userHandle', 'transports'), fieldValue)),
    },
    { requiredKeys: [] },
  ),
);

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/form-data; boundary=xyz',
  'application/json',
  'application/json; charset=utf-16',
  'text/plain',
  'application/octet-stream',
  'image/png',
  'text/html',
  ';;;',
];

/** A credential as navigator.credentials hands it over, as JSON text, every part possibly wrong. */
const credentialJson = fc
  .record(
    {
      id: fc.oneof(fc.base64String({ maxLength: 40 }), fieldValue),
      rawId: fc.oneof(fc.base64String({ maxLength: 40 }), fieldValue),
      type: fc.constantFrom('public-key', 'public-key', 'password'),
      response: fc.oneof(
        fc.record(
          {
            clientDataJSON: fc.oneof(fc.base64String({ maxLength: 200 }), fieldValue, fc.jsonValue({ maxDepth: 1 })),
            attestationObject: fc.oneof(fc.base64String({ maxLength: 200 }), fieldValue),
            authenticatorData: fc.oneof(fc.base64String({ maxLength: 200 }), fieldValue),
            signature: fc.oneof(fc.base64String({ maxLength: 100 }), fieldValue),
            userHandle: fc.oneof(fc.base64String({ maxLength: 40 }), fieldValue, fc.constant(null)),
            transports: fc.jsonValue({ maxDepth: 1 }),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      clientExtensionResults: fc.jsonValue({ maxDepth: 1 }),
      authenticatorAttachment: fieldValue,
    },
    { requiredKeys: [] },
  )
  .map((value) => JSON.stringify(value));

/** The fields each form reads, so generated bodies get past "missing field" to the real checks. */
const ROUTE_FIELDS: [RegExp, string[]][] = [
  [/^\/login$/, ['username', 'password', 'next']],
  [/^\/login\/verify$/, ['code']],
  [/^\/login\/verify\/recovery$/, ['recovery_code']],
  [/^\/login\/passkey$/, ['response', 'via', 'next']],
  [/^\/invite\//, ['display_name']],
  [/^\/welcome$/, ['next']],
  [/^\/account\/confirm$/, ['password', 'code', 'next']],
  [/^\/account\/confirm\/passkey$/, ['response', 'next']],
  [/^\/account\/totp\/(setup|disable)$/, ['code']],
  [/^\/account\/passkeys$/, ['name', 'response']],
  [/^\/account\/passkeys\/:id\/rename$/, ['name']],
  [/^\/account\/delete$/, ['posts', 'heir', 'confirm']],
  [/^\/members\/invites$/, ['role']],
  [/\/schedule$/, ['publish_at', 'tz_offset']],
  [/^\/settings$/, ['title', 'description', 'language', 'about', 'keep_originals']],
];

/** Values aimed at one field: the right shape (and sometimes the right value), or anything at all. */
function valueFor(world: World, name: string): fc.Arbitrary<string> {
  const aimed: Record<string, fc.Arbitrary<string>> = {
    username: fc.constantFrom(world.owner.username, world.writer.username, world.owner.username.toUpperCase()),
    password: fc.constantFrom(world.ownerPassword, world.ownerPassword.slice(1)),
    code: fc.oneof(fc.stringMatching(/^[0-9]{6}$/), fc.stringMatching(/^[0-9 ]{6,9}$/)),
    recovery_code: fc.oneof(fc.constantFrom(...world.ownerRecoveryCodes), fc.stringMatching(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/)),
    response: credentialJson,
    confirm: fc.constantFrom(world.owner.username, world.writer.username),
    posts: fc.constantFrom('delete', 'hand'),
    heir: fc.constantFrom(String(world.owner.id), String(world.writer.id)),
    role: fc.constantFrom('owner', 'writer'),
    publish_at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 16)),
    tz_offset: fc.integer({ min: -1000, max: 1000 }).map(String),
    language: fc.constantFrom('en', 'en-GB', 'pt-BR', 'x-klingon', 'EN-gb-oed'),
    next: fc.constantFrom('/write', '//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '/%2F%2Fevil.example'),
    keep_originals: fc.constantFrom('1', '0'),
  };
  return aimed[name] ? fc.oneof({ arbitrary: aimed[name], weight: 2 }, { arbitrary: fieldValue, weight: 1 }) : fieldValue;
}

/** Form fields for one route: its own fields, each present or missing, plus a few strangers. */
function fieldsFor(world: World, pattern: string): fc.Arbitrary<Record<string, string>> {
  const names = ROUTE_FIELDS.find(([re]) => re.test(pattern))?.[1] ?? [];
  const own = fc.record(Object.fromEntries(names.map((name) => [name, valueFor(world, name)])), { requiredKeys: [] }) as fc.Arbitrary<Record<string, string>>;
  const strangers = fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 12 })), fieldValue, { maxKeys: 3 });
  return fc.oneof(
    { arbitrary: fc.tuple(own, strangers).map(([mine, others]) => ({ ...others, ...mine })), weight: 3 },
    { arbitrary: anyFields, weight: 1 },
  );
}

export interface FuzzBody {
  kind: string;
  contentType: string | undefined;
  body: string | Uint8Array<ArrayBuffer> | FormData | undefined;
}

function formData(entries: Record<string, string>, file: Uint8Array | null): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(entries)) form.append(key, value);
  if (file) form.append('file', new Blob([new Uint8Array(file)], { type: 'image/png' }), 'picture.png');
  return form;
}

/** Bodies of every kind for one route: forms, multipart, JSON, broken JSON, raw bytes (invalid UTF-8 too), nothing. */
export function fuzzBody(world: World, pattern: string): fc.Arbitrary<FuzzBody> {
  const fields = fieldsFor(world, pattern);
  return fc.oneof(
    fields.map((f) => ({ kind: 'form', contentType: 'application/x-www-form-urlencoded', body: new URLSearchParams(f).toString() })),
    fc
      .tuple(fields, fc.option(fc.uint8Array({ maxLength: 2048 }), { nil: null }))
      .map(([f, file]) => ({ kind: 'multipart', contentType: undefined, body: formData(f, file) })),
    {
      // The autosave API takes JSON only: most of its bodies are JSON.
      arbitrary: (pattern.startsWith('/api/posts/') ? fc.oneof({ arbitrary: editorSave, weight: 4 }, jsonLike) : fc.oneof(jsonLike, fields)).map((v) => ({
        kind: 'json',
        contentType: 'application/json',
        body: JSON.stringify(v),
      })),
      weight: pattern.startsWith('/api/posts/') ? 6 : 1,
    },
    fc
      .tuple(fc.constantFrom(...CONTENT_TYPES, undefined), fc.uint8Array({ maxLength: 4096 }))
      .map(([contentType, bytes]) => ({ kind: 'bytes', contentType, body: new Uint8Array(bytes) })),
    fc
      .tuple(fc.constantFrom(...CONTENT_TYPES), fc.constantFrom('{"baseRevision":', '{"a":1}}', '\ufeff{}', '%', 'a=%E0%80%80&b=%', '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n', '{"html":"\\ud800"}', 'null', '[1,2]', '"str"'))
      .map(([contentType, text]) => ({ kind: 'broken', contentType, body: text })),
    fc.constant({ kind: 'empty', contentType: undefined, body: undefined }),
  );
}

// ── Proof that nothing changed ─────────────────────────────────────────────────

/** Rows a refused request may add: the security log and the wrong-code counter are about refusals. */
const REFUSAL_RECORDS = new Set(['security_events', 'second_factor_failures']);

/**
 * A fingerprint of every table (and of the media folder). Sessions are taken without the
 * sliding-expiry columns, which any signed-in request may move.
 */
export function fingerprint(ctx: Ctx): string {
  const hash = createHash('sha256');
  const tables = ctx.db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  for (const table of tables) {
    if (REFUSAL_RECORDS.has(table)) continue;
    const columns = table === 'sessions' ? 'id, token_hash, user_id, created_at, authenticated_at, browser' : '*';
    const rows = ctx.db.prepare(`SELECT ${columns} FROM "${table}"`).raw().all();
    hash.update(table).update(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  }
  const media = path.join(ctx.dataDir, 'media');
  if (existsSync(media)) hash.update(JSON.stringify(readdirSync(media, { recursive: true }).map(String).sort()));
  return hash.digest('hex');
}

export interface Outcome {
  status: number;
  changed: boolean;
  body: string;
}

/** Sends one request and reports its status and whether the database (or media folder) changed. */
export async function send(world: World, client: Client, pathname: string, body: FuzzBody, extraHeaders: Record<string, string> = {}): Promise<Outcome> {
  const before = fingerprint(world.ctx);
  const headers: Record<string, string> = { ...extraHeaders };
  if (body.contentType !== undefined) headers['content-type'] = body.contentType;
  const response = await client.request(pathname, { method: 'POST', body: body.body, headers });
  const text = await response.text();
  return { status: response.status, changed: fingerprint(world.ctx) !== before, body: text };
}

/** The rules every answer obeys, whatever was sent. */
export function expectSafeAnswer(pattern: string, signedIn: boolean, outcome: Outcome): void {
  // Never a 500 (or any 5xx): bad input is the sender's problem and gets a 4xx.
  expect(outcome.status, `status for POST ${pattern}`).toBeLessThan(500);
  // No internals in any page: no stack frames, no SQL errors.
  expect(outcome.body).not.toMatch(/\bat .+\.(ts|js):\d+|SqliteError|SQLITE_/);
  // A refused request changes nothing.
  if (outcome.status >= 400) expect(outcome.changed, `a refused POST ${pattern} (${outcome.status}) changed data`).toBe(false);
  // Signed out, only sign-in, invites and recovery links may write anything at all.
  if (!signedIn && !SIGNED_OUT_WRITES.test(pattern)) expect(outcome.changed, `a signed-out POST ${pattern} changed data`).toBe(false);
}

/**
 * Runs the fuzz properties for one POST route: signed out, then signed in (owner or writer,
 * freshly signed in). The clock moves 6 s per run so per-address throttles refill a little and
 * handlers are reached, not only their 429s.
 */
export async function fuzzPostRoute(pattern: string, runs = FUZZ_RUNS): Promise<void> {
  const world = await makeWorld();
  // FUZZ_STATS=1 prints what the route answered: proof the bodies reach the handler, not only a guard.
  const statuses = new Map<string, number>();
  for (const signedIn of [false, true]) {
    await fc.assert(
      fc.asyncProperty(fuzzBody(world, pattern), fc.option(junkParam, { nil: null, freq: 4 }), fc.constantFrom('owner', 'owner', 'writer'), async (body, junk, role) => {
        world.ctx.clock.advance(6_001);
        const client = browserFor(world, signedIn ? (role === 'owner' ? world.owner : world.writer) : null, pattern);
        // A fuzzed request deleted this account: nobody left to sign in as.
        if (!client) return;
        if (typeof body.body === 'string' && body.body.includes(`"${CURRENT_REVISION}"`)) {
          const revision = world.ctx.db.prepare('SELECT revision FROM posts WHERE id = ?').pluck().get(world.postId) as number;
          body = { ...body, body: body.body.replaceAll(`"${CURRENT_REVISION}"`, String(revision)) };
        }
        const outcome = await send(world, client, fillPath(world, pattern, junk), body);
        const key = `${signedIn ? `in:${role}` : 'out'} ${body.kind} ${outcome.status}${outcome.changed ? '*' : ''}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        expectSafeAnswer(pattern, signedIn, outcome);
      }),
      { seed: FUZZ_SEED + hashOf(pattern) + (signedIn ? 1 : 0), numRuns: runs, endOnFailure: true },
    );
  }
  if (process.env.FUZZ_STATS === '1') {
    console.log(`POST ${pattern}: ${[...statuses].sort().map(([k, n]) => `${k}×${n}`).join(', ')} (* = data changed)`);
  }
}

function hashOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) % 1_000_000;
}

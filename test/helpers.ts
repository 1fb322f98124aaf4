import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { migrate, openDatabase, readMigrations, type Db } from '../src/db/database.js';
import { createInvite } from '../src/auth/invites.js';
import type { Clock } from '../src/lib/clock.js';

export const ORIGIN = 'http://localhost:3000';
export const TEST_SECRET = 'test-secret-that-is-long-enough-for-quire-0123456789';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

export function tempDir(prefix = 'quire-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A clock tests move by hand: the only thing tests fake. */
export function manualClock(start = Date.UTC(2026, 10, 23, 9, 0, 0)): Clock & { advance(ms: number): void } {
  let current = start;
  return { now: () => current, advance: (ms) => void (current += ms) };
}

export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: dataDir, QUIRE_SECRET: TEST_SECRET, PUBLIC_URL: ORIGIN, QUIRE_LOG_REQUESTS: '0', ...env }, () => {});
}

export function testDb(dataDir: string, config: Config): Db {
  const db = openDatabase(path.join(dataDir, 'quire.db'));
  migrate(db, readMigrations(config.migrationsDir));
  cleanups.push(() => db.close());
  return db;
}

/** A real app on a real SQLite file in a temp dir, with a manual clock. */
export function makeApp(env: Record<string, string> = {}) {
  const dataDir = tempDir();
  const config = testConfig(dataDir, env);
  const db = testDb(dataDir, config);
  const clock = manualClock();
  const app = createApp({ db, config, clock });
  return { app, db, config, clock, dataDir, client: new Client(app, config.origin) };
}

type Fetcher = { request: (input: string, init?: RequestInit) => Response | Promise<Response> };

/** app.request() with a cookie jar and same-origin headers, like a browser on the blog's pages. */
export class Client {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly app: Fetcher,
    private readonly origin: string,
  ) {}

  async request(pathname: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const method = (init.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD' && !('origin' in headers)) headers.origin = this.origin;
    const response = await this.app.request(this.origin + pathname, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /max-age=0/i.test(a.trim())) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  get(pathname: string, headers: Record<string, string> = {}) {
    return this.request(pathname, { headers });
  }

  post(pathname: string, form: Record<string, string> = {}, headers: Record<string, string> = {}) {
    return this.request(pathname, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  }

  postJson(pathname: string, body: unknown, headers: Record<string, string> = {}) {
    return this.request(pathname, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  }
}

/** Pulls a named input's value out of a rendered page. */
export function inputValue(html: string, name: string): string | undefined {
  const tag = html.match(new RegExp(`<input[^>]*name="${name}"[^>]*>`))?.[0];
  return tag?.match(/value="([^"]*)"/)?.[1];
}

/** Enrols a new account through the real invite flow; returns its credentials and a signed-in client. */
export async function enrol(ctx: ReturnType<typeof makeApp>, role: 'owner' | 'writer' = 'owner', displayName = 'Ada Writer') {
  const invite = createInvite(ctx.db, ctx.config.publicUrl, role, null, ctx.clock.now());
  const client = new Client(ctx.app, ctx.config.origin);
  const response = await client.post(`/invite/${invite.token}`, { display_name: displayName });
  if (response.status !== 200) throw new Error(`enrolment failed with ${response.status}`);
  const html = await response.text();
  const username = inputValue(html, 'username')!;
  const password = inputValue(html, 'password')!;
  return { client, username, password, invite };
}

// Real headless Chromium for what a person does in a browser. Under CI=true a missing
// Chromium is an error, never a silent skip; elsewhere the skip is said out loud.
import { serve } from '@hono/node-server';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo, Server } from 'node:net';
import { createServer } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { describe } from 'vitest';
import { createApp } from '../../src/app.js';
import { createServerWithPageCache, PageCache } from '../../src/lib/page-cache.js';
import { systemClock } from '../../src/lib/clock.js';
import { projectRoot } from '../../src/lib/paths.js';
import { migrate, openDatabase, readMigrations } from '../../src/db/database.js';
import { testConfig } from '../helpers.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);

if (!available && process.env.CI) {
  throw new Error(`Browser tests must run under CI=true, but ${CHROMIUM} is missing. Install it: apt-get install -y chromium`);
}
if (!available) {
  console.warn(`SKIPPED browser tests: ${CHROMIUM} not found. Install Chromium (apt-get install -y chromium) to run them.`);
}

/** describe() when Chromium is here; a loudly reported skip otherwise. */
export const describeBrowser = available ? describe : describe.skip;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // The network here is closed: without these flags Chromium floods it with refused connections.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A real Quire on a real port, on a temp database, as a person would reach it. */
export async function startQuire(env: Record<string, string> = {}, { publicHost = 'localhost' } = {}) {
  const port = await freePort();
  // Lives for a whole describe block (beforeAll/afterAll), so it is cleaned up by close().
  const dataDir = mkdtempSync(path.join(tmpdir(), 'quire-e2e-'));
  const config = testConfig(dataDir, { PUBLIC_URL: `http://${publicHost}:${port}`, PORT: String(port), ...env });
  const db = openDatabase(path.join(dataDir, 'quire.db'));
  migrate(db, readMigrations(config.migrationsDir));
  // Built as src/server.ts builds it: rendered public pages answered from memory in front of the app.
  const pageCache = new PageCache();
  const app = createApp({ db, config, clock: systemClock, pageCache });
  const server = await new Promise<Server>((resolve) => {
    const s = serve(
      { fetch: app.fetch, port, hostname: '127.0.0.1', createServer: createServerWithPageCache(pageCache, db, config) },
      () => resolve(s as unknown as Server),
    );
  });
  return {
    url: config.publicUrl,
    db,
    config,
    dataDir,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function screenshotPath(name: string): string {
  const dir = path.join(projectRoot(), 'screenshots');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

/** Records what the page handed to navigator.credentials.store(), before the browser gets it. */
export const CAPTURE_STORED_CREDENTIALS = `
  (() => {
    window.__stored = [];
    if (!navigator.credentials) return;
    const original = navigator.credentials.store.bind(navigator.credentials);
    navigator.credentials.store = (credential) => {
      window.__stored.push({ id: credential.id, password: credential.password, type: credential.type });
      return original(credential);
    };
  })();
`;

/** A browser without the Credential Management API (Firefox, Safari). */
export const REMOVE_PASSWORD_CREDENTIAL = `delete window.PasswordCredential;`;

// The only module that reads process.env. Everything is checked once at start-up so a
// self-hoster learns about a bad value immediately, with the variable named, rather than
// from a confusing failure weeks later.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './lib/paths.js';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** The public origin, e.g. "https://blog.example.org" (no trailing slash). */
  publicUrl: string;
  /** Origin derived from publicUrl, used for CSRF checks. */
  origin: string;
  /** Host name used as the WebAuthn relying-party id. */
  rpId: string;
  /** Serve cookies with Secure and the __Host- prefix (PUBLIC_URL is https). */
  secureCookies: boolean;
  production: boolean;
  /** Trust X-Forwarded-For from a reverse proxy on the same host. */
  trustProxy: boolean;
  /** Raw key material for encryption at rest and HMACs; at least 32 bytes. */
  secret: Buffer;
  /** Older keys kept for decrypting data written before a rotation (QUIRE_SECRET_OLD). */
  oldSecrets: Buffer[];
  staticDir: string;
  migrationsDir: string;
  /** One log line per request on stdout (QUIRE_LOG_REQUESTS=0 turns it off, e.g. in benchmarks). */
  logRequests: boolean;
  /** Hours between automatic backups into DATA_DIR/backups (QUIRE_BACKUP_HOURS); 0 is off. */
  backupHours: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;
type Log = (line: string) => void;

const SECRET_FILE_NAME = 'secret.key';
const MIN_SECRET_LENGTH = 32;

function parsePort(env: Env): number {
  const raw = env.PORT?.trim();
  if (!raw) return 3000;
  if (!/^\d+$/.test(raw)) throw new ConfigError('PORT', `"${raw}" is not a number; use a port such as 3000.`);
  const port = Number(raw);
  if (port < 1 || port > 65535) throw new ConfigError('PORT', `${port} is outside 1–65535.`);
  return port;
}

function parsePublicUrl(env: Env, port: number): URL {
  const raw = env.PUBLIC_URL?.trim() || `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('PUBLIC_URL', `"${raw}" is not a URL; use the address readers type, e.g. https://blog.example.org`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('PUBLIC_URL', `must start with https:// (or http:// for local use), got "${url.protocol}".`);
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConfigError('PUBLIC_URL', `must be an origin only (scheme, host and optional port), e.g. https://blog.example.org — got "${raw}". Serving Quire under a sub-path is not supported.`);
  }
  return url;
}

function parseBool(env: Env, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return false;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `"${env[name]}" is not true or false.`);
}

function parseBackupHours(env: Env): number {
  const raw = env.QUIRE_BACKUP_HOURS?.trim();
  if (!raw) return 0;
  if (!/^\d+$/.test(raw) || Number(raw) > 24 * 366) {
    throw new ConfigError('QUIRE_BACKUP_HOURS', `"${raw}" is not a whole number of hours; use 24 for a daily backup, or 0 for none.`);
  }
  return Number(raw);
}

function checkSecret(variable: string, value: string): Buffer {
  // The key protects TOTP secrets and signs cookies: a short one could be guessed offline.
  if (value.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(variable, `is ${value.length} characters long; use at least ${MIN_SECRET_LENGTH} random characters (for example the output of: openssl rand -base64 32).`);
  }
  return Buffer.from(value, 'utf8');
}

function loadSecret(env: Env, dataDir: string, production: boolean, log: Log): Buffer {
  const direct = env.QUIRE_SECRET;
  const file = env.QUIRE_SECRET_FILE?.trim();
  if (direct && file) {
    throw new ConfigError('QUIRE_SECRET', 'both QUIRE_SECRET and QUIRE_SECRET_FILE are set; set only one.');
  }
  if (direct) return checkSecret('QUIRE_SECRET', direct.trim());
  if (file) {
    let contents: string;
    try {
      contents = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new ConfigError('QUIRE_SECRET_FILE', `cannot read "${file}" (${code}).`);
    }
    return checkSecret('QUIRE_SECRET_FILE', contents.trim());
  }
  if (production) {
    throw new ConfigError(
      'QUIRE_SECRET',
      'no encryption key is set and NODE_ENV=production. Set QUIRE_SECRET to at least 32 random characters, or QUIRE_SECRET_FILE to a file holding them (e.g. a podman secret mounted at /run/quire_secret). Generate one with: openssl rand -base64 32',
    );
  }
  // Development: keep a generated key next to the database so restarts can still decrypt.
  const keyPath = path.join(dataDir, SECRET_FILE_NAME);
  if (existsSync(keyPath)) return checkSecret(keyPath, readFileSync(keyPath, 'utf8').trim());
  const generated = randomBytes(32).toString('base64url');
  writeFileSync(keyPath, generated + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(keyPath, 0o600);
  log(`No QUIRE_SECRET set: generated a key in ${keyPath} (mode 0600). Keep it with your backups; in production set QUIRE_SECRET or QUIRE_SECRET_FILE instead.`);
  return Buffer.from(generated, 'utf8');
}

function loadOldSecrets(env: Env): Buffer[] {
  const raw = env.QUIRE_SECRET_OLD?.trim();
  if (!raw) return [];
  return raw.split(',').map((s) => checkSecret('QUIRE_SECRET_OLD', s.trim()));
}

/** Where DATA_DIR points, without creating it or anything in it (restore needs it untouched). */
export function dataDirFromEnv(env: Env = process.env): string {
  return path.resolve(env.DATA_DIR?.trim() || './data');
}

export function loadConfig(env: Env = process.env, log: Log = (line) => console.log(line)): Config {
  const port = parsePort(env);
  const host = env.HOST?.trim() || '127.0.0.1';
  const production = env.NODE_ENV === 'production';
  const publicUrl = parsePublicUrl(env, port);
  const dataDir = dataDirFromEnv(env);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError('DATA_DIR', `cannot create or open "${dataDir}" (${code}).`);
  }
  const root = projectRoot();
  return {
    port,
    host,
    dataDir,
    publicUrl: publicUrl.origin,
    origin: publicUrl.origin,
    rpId: publicUrl.hostname,
    secureCookies: publicUrl.protocol === 'https:',
    production,
    trustProxy: parseBool(env, 'TRUST_PROXY'),
    secret: loadSecret(env, dataDir, production, log),
    oldSecrets: loadOldSecrets(env),
    staticDir: path.join(root, 'static'),
    migrationsDir: path.join(root, 'migrations'),
    logRequests: env.QUIRE_LOG_REQUESTS !== '0',
    backupHours: parseBackupHours(env),
  };
}

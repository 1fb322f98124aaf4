// Shared pieces of the stress suite: a frozen copy of the build, Quire servers as child
// processes on temp data directories, a small keep-alive HTTP client with a cookie jar,
// percentiles and tables. Everything listens on and talks to 127.0.0.1 only.
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export { sleep };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HOST = '127.0.0.1';
export const SECRET = 'stress-suite-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

// ── Cleanup: temp dirs and child processes go whatever happens ───────────────
const tempDirs = new Set();
const children = new Set();

function cleanupSync() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  if (process.env.STRESS_KEEP !== '1') {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    tempDirs.clear();
  }
}
process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\nstress: ${signal} received, stopping servers and removing temp dirs.`);
    cleanupSync();
    process.exit(130);
  });
}

export function tempDir(prefix = 'quire-stress-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Runs `fn` and removes every temp dir it made, even on failure. */
export async function withTempDirs(fn) {
  const before = new Set(tempDirs);
  try {
    return await fn();
  } finally {
    for (const dir of [...tempDirs]) if (!before.has(dir) && process.env.STRESS_KEEP !== '1') removeDir(dir);
  }
}

/**
 * The build the suite runs, copied aside: other people rebuilding dist/ while a stress run
 * restarts servers must not pull the files out from under it.
 */
export function snapshotBuild() {
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'server.js'))) throw new Error('No build found: run `npm run build` first (npm run stress does).');
  const dir = tempDir('quire-stress-build-');
  for (const name of ['dist', 'migrations', 'static', 'package.json']) cpSync(path.join(ROOT, name), path.join(dir, name), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

// ── Randomness: seeded, so a failing run can be repeated ────────────────────
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (min, max) => min + Math.floor(next() * (max - min + 1));
  next.pick = (list) => list[Math.floor(next() * list.length)];
  return next;
}

// ── Ports and processes ─────────────────────────────────────────────────────
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM of a process in MiB, from /proc. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

export function dbSize(dataDir) {
  const size = (name) => (existsSync(path.join(dataDir, name)) ? statSync(path.join(dataDir, name)).size : 0);
  return { db: size('quire.db'), wal: size('quire.db-wal') };
}

export function serverEnv(dataDir, port, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // Node flags for the servers under test only (e.g. heap sizes to compare): --node-options.
    ...(process.env.STRESS_NODE_OPTIONS ? { NODE_OPTIONS: process.env.STRESS_NODE_OPTIONS } : {}),
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST,
    PUBLIC_URL: `http://${HOST}:${port}`,
    QUIRE_SECRET: SECRET,
    QUIRE_LOG_REQUESTS: '0',
    ...extra,
  };
}

/** Runs a node script to completion; resolves with its output, rejects with it on failure. */
export function runNode(args, { env, cwd = ROOT, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, args, { env, cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      children.delete(child);
      if (error) reject(Object.assign(new Error(`node ${args.join(' ')} failed: ${error.message}\n${stderr}`), { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
    children.add(child);
  });
}

/**
 * Quire's own server (dist/src/server.js) as a child process. Restartable on the same port and
 * data directory; everything it writes to stderr across restarts is kept for grepping.
 */
export class QuireServer {
  constructor({ build, dataDir, port, env = {} }) {
    this.build = build;
    this.dataDir = dataDir;
    this.port = port;
    this.base = `http://${HOST}:${port}`;
    this.env = serverEnv(dataDir, port, env);
    this.stderr = '';
    this.stdoutTail = '';
    this.child = null;
    this.starts = 0;
  }

  /** Spawns the server and waits for the first 200 on /healthz; returns the milliseconds that took. */
  async start({ timeoutMs = 20_000 } = {}) {
    if (this.child) throw new Error('server already running');
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(this.build, 'dist', 'src', 'server.js')], {
      cwd: this.build,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    children.add(child);
    child.stderr.setEncoding('utf8');
    child.stdout.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
    });
    child.stdout.on('data', (chunk) => {
      this.stdoutTail = (this.stdoutTail + chunk).slice(-64 * 1024);
    });
    child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    child.exited.then(() => {
      children.delete(child);
      if (this.child === child) this.child = null;
    });
    const deadline = started + timeoutMs;
    for (let tries = 0; tries < 1_000_000; tries++) {
      if (this.child !== child) throw new Error(`Quire exited during start-up:\n${this.stderr.slice(-4000)}\n${this.stdoutTail.slice(-2000)}`);
      const status = await probe(`${this.base}/healthz`, 1000);
      if (status === 200) return performance.now() - started;
      if (performance.now() > deadline) throw new Error(`Quire did not answer /healthz within ${timeoutMs} ms`);
      await sleep(2);
    }
    throw new Error('Quire did not answer /healthz');
  }

  get pid() {
    return this.child?.pid;
  }

  memory() {
    return memoryOf(this.child.pid);
  }

  /** SIGKILL (a crash, an OOM kill, a power cut to the process) or SIGTERM (podman stop). */
  async stop(signal = 'SIGKILL') {
    const child = this.child;
    if (!child) return null;
    child.kill(signal);
    const result = await Promise.race([child.exited, sleep(15_000).then(() => null)]);
    if (!result) {
      child.kill('SIGKILL');
      return child.exited;
    }
    return result;
  }
}

function probe(url, timeoutMs) {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
      response.on('error', () => resolve(0));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

// ── HTTP ─────────────────────────────────────────────────────────────────────
/**
 * A browser-like client: keep-alive, a cookie jar, and the blog's own Origin on every
 * non-GET (what Quire's CSRF check wants). Network errors resolve to status 0, never throw.
 */
export class HttpClient {
  constructor(base, { maxSockets = 4 } = {}) {
    this.base = base;
    this.origin = new URL(base).origin;
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
    this.cookies = new Map();
  }

  request(method, pathname, { headers = {}, body, timeoutMs = 30_000 } = {}) {
    const all = { ...headers };
    if (this.cookies.size) all.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (method !== 'GET' && method !== 'HEAD' && !('origin' in all)) all.origin = this.origin;
    const payload = body === undefined ? undefined : Buffer.from(body);
    if (payload) all['content-length'] = String(payload.length);
    const started = performance.now();
    return new Promise((resolve) => {
      const request = http.request(`${this.base}${pathname}`, { method, headers: all, agent: this.agent, timeout: timeoutMs }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('error', (error) => resolve({ status: 0, error: error.code ?? error.message, ms: performance.now() - started }));
        response.on('end', () => {
          for (const line of response.headers['set-cookie'] ?? []) {
            const [pair, ...attributes] = line.split(';');
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq).trim();
            const value = pair.slice(eq + 1).trim();
            if (!value || attributes.some((a) => /max-age=0/i.test(a.trim()))) this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started });
        });
      });
      request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      request.on('error', (error) => resolve({ status: 0, error: error.code ?? error.message, ms: performance.now() - started }));
      request.end(payload);
    });
  }

  get(pathname, headers) {
    return this.request('GET', pathname, { headers });
  }

  form(pathname, fields = {}) {
    return this.request('POST', pathname, {
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  json(pathname, value) {
    return this.request('POST', pathname, { body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });
  }

  close() {
    this.agent.destroy();
  }
}

/** A new invite link from the CLI, on the server's data directory (the server may be running). */
export async function cliInvite(build, env, role = 'owner') {
  const { stdout } = await runNode([path.join(build, 'dist', 'src', 'cli.js'), 'invite', ...(role === 'owner' ? ['--owner'] : [])], { env, cwd: build });
  const link = stdout.trim().split('\n').pop();
  if (!/\/invite\//.test(link)) throw new Error(`unexpected invite output: ${stdout}`);
  return link;
}

/** The CLI's commands, from its help text. */
export async function cliCommands(build, env) {
  const { stdout } = await runNode([path.join(build, 'dist', 'src', 'cli.js'), 'help'], { env, cwd: build });
  return new Set([...stdout.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]));
}

/**
 * A backup of a (running) server's DATA_DIR from another process, the way a host takes one:
 * `quire backup <file>` when the CLI has that command, otherwise backup-helper.mjs (Quire's own
 * createBackup() from dist, or better-sqlite3's backup API). `base` is the target without its
 * extension; resolves with the file written and the method used.
 */
export async function takeBackup(build, env, dataDir, base, { timeoutMs = 120_000 } = {}) {
  const commands = await cliCommands(build, env);
  if (commands.has('backup')) {
    const target = `${base}.tar.gz`;
    const out = await runNode([path.join(build, 'dist', 'src', 'cli.js'), 'backup', target], { env, cwd: build, timeoutMs });
    const file = existsSync(target) ? target : out.stdout.match(/(\/\S+\.(?:tar\.gz|db))/)?.[1];
    return { file, method: 'node dist/src/cli.js backup <file>', stderr: out.stderr };
  }
  const hasModule = existsSync(path.join(build, 'dist', 'src', 'ops', 'backup.js'));
  const target = hasModule ? `${base}.tar.gz` : `${base}.db`;
  const out = await runNode([path.join(ROOT, 'scripts', 'stress', 'backup-helper.mjs'), dataDir, target, build], { cwd: build, timeoutMs });
  const { file, method } = JSON.parse(out.stdout.trim().split('\n').pop());
  return { file, method: `${method}, from a separate process (the CLI has no backup command yet)`, stderr: out.stderr };
}

/** Enrols through the real invite page: the client ends up signed in. */
export async function enrolAccount(client, link, displayName) {
  const response = await client.form(new URL(link).pathname, { display_name: displayName });
  if (response.status !== 200) throw new Error(`enrolment failed: ${response.status} ${response.error ?? ''} ${response.body?.slice(0, 300) ?? ''}`);
  const username = response.body.match(/name="username"[^>]*value="([^"]*)"/)?.[1];
  return { username };
}

/** A new draft of the signed-in client's; returns its id. */
export async function newDraft(client) {
  const response = await client.form('/write/new');
  const id = Number(response.headers?.location?.split('/').pop());
  if (response.status !== 303 || !Number.isSafeInteger(id)) throw new Error(`could not create a draft: ${response.status}`);
  return id;
}

// ── Figures ─────────────────────────────────────────────────────────────────
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function summarize(values) {
  return {
    n: values.length,
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    max: round(values.reduce((m, v) => (v > m ? v : m), -Infinity)),
  };
}

export function round(value, digits = 2) {
  if (!Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function mib(bytes) {
  return round(bytes / 1024 / 1024, 1);
}

/** A plain text table: rows of cells, the first row the heading. */
export function table(title, rows) {
  const text = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '—' : String(cell))));
  const widths = text[0].map((_, i) => Math.max(...text.map((row) => row[i]?.length ?? 0)));
  const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [`\n${title}`, rule, line(text[0]), rule, ...text.slice(1).map(line), rule].join('\n');
}

export function machine() {
  const memKb = Number(readFileSync('/proc/meminfo', 'utf8').match(/^MemTotal:\s+(\d+)/m)?.[1] ?? NaN);
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm)?.length ?? null;
  const model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown';
  return { cpus, cpuModel: model, memoryGiB: round(memKb / 1024 / 1024, 1), node: process.version, platform: `${process.platform} ${process.arch}` };
}

/**
 * One line of the final summary: what was measured, the figure, the aim it is held against and
 * whether it met it (null when there is no aim, e.g. a database size).
 */
export function verdict(measure, value, aim = '', ok = null) {
  return { measure, value, aim, ok };
}

/** Every line of `text` that mentions SQLite being busy or locked. */
export function busyLines(text) {
  return text.split('\n').filter((line) => /SQLITE_BUSY|SQLITE_LOCKED|database is locked|database table is locked/i.test(line));
}

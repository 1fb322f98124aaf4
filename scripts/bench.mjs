// npm run bench: how close Quire's public pages come to a bare node:http server sending the
// same bytes from memory. A benchmark, not a test: it prints figures and judges nothing.
//
// It creates a temp DATA_DIR with a blog of 1,000 posts of about 1,500 words (through Quire's
// own db functions from dist/), starts the built server (dist/src/server.js) and a bare server
// as two child processes on 127.0.0.1, then loads both with autocannon, interleaved (Quire,
// bare, Quire, bare …), for the home page, a post page, /feed.xml and a 304 revalidation.
//
//   npm run bench                                   defaults below
//   npm run bench -- --duration 2 --rounds 1        a quick smoke run
//   BENCH_DURATION=20 BENCH_ROUNDS=5 npm run bench  the same through the environment
//
// Options (flag or BENCH_* variable): duration (seconds per run, 5), rounds (3), connections
// (10), warmup (seconds per target before measuring, 2), posts (1000), words (1500).
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (file) => pathToFileURL(path.join(root, 'dist', 'src', file)).href;

// ── The bare server (this same file, run as a child with --bare <file>) ────────────────────

/** Answers each path with the bytes and headers Quire gave for it, from memory; 304 on a matching ETag. */
function serveBare(file) {
  const routes = new Map();
  for (const { path: route, status, headers, body } of JSON.parse(readFileSync(file, 'utf8'))) {
    const validators = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'content-type'));
    routes.set(route, { status, headers, validators, body: Buffer.from(body, 'base64') });
  }
  const server = createServer((req, res) => {
    const route = routes.get(req.url);
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    if (req.headers['if-none-match'] === route.headers.etag) {
      res.writeHead(304, route.validators).end();
      return;
    }
    res.writeHead(route.status, route.headers).end(route.body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

// ── The benchmark ──────────────────────────────────────────────────────────────────────────

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      posts: { type: 'string' },
      words: { type: 'string' },
    },
  });
  const pick = (name, fallback, min, max) => {
    const raw = values[name] ?? process.env[`BENCH_${name.toUpperCase()}`];
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`bench: ${name} must be a number from ${min} to ${max} (got ${raw})`);
    }
    return value;
  };
  return {
    duration: pick('duration', 5, 0.5, 600),
    rounds: pick('rounds', 3, 1, 50),
    connections: pick('connections', 10, 1, 1000),
    warmup: pick('warmup', 2, 0, 60),
    posts: pick('posts', 1000, 1, 100_000),
    words: pick('words', 1500, 10, 100_000),
  };
}

async function main() {
  const opts = options();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'quire-bench-'));
  const children = [];
  let cleaned = false;
  // Stops the servers (Quire closes its database on SIGTERM), then removes the temp dir.
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all(
      children
        .filter((child) => child.exitCode === null && child.signalCode === null)
        .map(
          (child) =>
            new Promise((resolve) => {
              const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
              child.once('exit', () => {
                clearTimeout(force);
                resolve();
              });
              child.kill('SIGTERM');
            }),
        ),
    );
    rmSync(dataDir, { recursive: true, force: true });
  };
  const interrupted = async (signal) => {
    await cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  // However it goes, the run ends: 8 runs of each target per round, plus warm-up, seeding and slack.
  const limit = (opts.rounds * 8 * (opts.duration + 1) + 8 * opts.warmup + 300) * 1000;
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${Math.round(limit / 1000)} s; stopping.`);
    void interrupted('SIGTERM');
  }, limit);
  watchdog.unref();

  try {
    console.log(`Quire bench: ${opts.posts} posts of ~${opts.words} words; ${opts.rounds} rounds of ${opts.duration} s per target, ${opts.connections} connections.`);
    const seeded = await seed(dataDir, opts);
    console.log(`Seeded ${seeded.posts} posts (${(seeded.bytes / 1e6).toFixed(1)} MB of HTML) in ${seeded.seconds.toFixed(1)} s.`);

    const quire = await startQuire(dataDir);
    children.push(quire.child);
    const postPath = seeded.samplePath;
    const targets = [
      { name: 'home page', path: '/' },
      { name: 'post page', path: postPath },
      { name: '/feed.xml', path: '/feed.xml' },
    ];

    // Fetch each page from Quire once; the bare server then sends exactly those bytes.
    const recorded = [];
    for (const target of targets) {
      const response = await fetch(quire.url + target.path);
      if (response.status !== 200) throw new Error(`bench: Quire answered ${response.status} for ${target.path}`);
      const body = Buffer.from(await response.arrayBuffer());
      const headers = {};
      for (const [name, value] of response.headers) {
        if (!/^(date|connection|keep-alive|transfer-encoding|content-length)$/.test(name)) headers[name] = value;
      }
      target.etag = headers.etag;
      target.bytes = body.length;
      recorded.push({ path: target.path, status: 200, headers, body: body.toString('base64') });
    }
    if (!targets[1].etag) throw new Error('bench: Quire sent no ETag for the post page');
    targets.push({ name: '304 revalidation', path: postPath, headers: { 'if-none-match': targets[1].etag }, expect: 304 });

    const recordFile = path.join(dataDir, 'bare-routes.json');
    writeFileSync(recordFile, JSON.stringify(recorded));
    const bare = await startChild(process.execPath, [fileURLToPath(import.meta.url), '--bare', recordFile], {}, /^listening (\d+)/m);
    children.push(bare.child);

    // Same bytes from both, and the 304 answered by both.
    for (const target of targets) {
      const [a, b] = await Promise.all([quire.url, bare.url].map((base) => fetch(base + target.path, { headers: target.headers })));
      const [bodyA, bodyB] = await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
      if (a.status !== (target.expect ?? 200) || b.status !== a.status || Buffer.compare(Buffer.from(bodyA), Buffer.from(bodyB)) !== 0) {
        throw new Error(`bench: Quire and the bare server differ for ${target.name} (${a.status} vs ${b.status})`);
      }
    }

    const servers = [
      { name: 'Quire', url: quire.url },
      { name: 'bare', url: bare.url },
    ];
    if (opts.warmup > 0) {
      for (const target of targets) for (const server of servers) await load(server.url, target, opts.warmup, opts.connections);
    }
    const results = new Map(targets.map((t) => [t.name, { Quire: [], bare: [] }]));
    for (let round = 1; round <= opts.rounds; round++) {
      process.stdout.write(`Round ${round}/${opts.rounds}…`);
      for (const target of targets) {
        for (const server of servers) results.get(target.name)[server.name].push(await load(server.url, target, opts.duration, opts.connections));
      }
      process.stdout.write(' done\n');
    }

    report(targets, results, opts);
    await heaviestPage(quire.url, seeded);
  } finally {
    await cleanup();
  }
}

/** One autocannon run; a wrong status or a socket error makes the whole bench fail loudly. */
async function load(base, target, duration, connections) {
  const result = await autocannon({ url: base + target.path, headers: target.headers ?? {}, duration, connections, pipelining: 1 });
  const expected = target.expect ?? 200;
  const wrong = Object.entries(result.statusCodeStats ?? {}).filter(([code]) => Number(code) !== expected);
  if (result.errors > 0 || result.timeouts > 0 || wrong.length > 0) {
    throw new Error(`bench: ${base}${target.path}: ${result.errors} errors, ${result.timeouts} timeouts, unexpected statuses ${JSON.stringify(wrong)}`);
  }
  return { rps: result.requests.average, p99: result.latency.p99, total: result.requests.total };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function report(targets, results, opts) {
  const rows = targets.map((target) => {
    const r = results.get(target.name);
    const quire = { rps: median(r.Quire.map((x) => x.rps)), p99: median(r.Quire.map((x) => x.p99)) };
    const bare = { rps: median(r.bare.map((x) => x.rps)), p99: median(r.bare.map((x) => x.p99)) };
    return {
      target: target.name,
      bytes: target.expect === 304 ? '0 (304)' : String(target.bytes),
      'Quire req/s': quire.rps.toFixed(0),
      'Quire p99 ms': quire.p99.toFixed(1),
      'bare req/s': bare.rps.toFixed(0),
      'bare p99 ms': bare.p99.toFixed(1),
      'Quire/bare': (quire.rps / bare.rps).toFixed(2),
    };
  });
  console.log(`\nMedians of ${opts.rounds} round(s), ${opts.duration} s each, ${opts.connections} connections (aim: Quire/bare ≥ 0.80 for the post page and the feed):`);
  console.table(rows);
}

/** The largest public HTML page a reader can open, and the stylesheet every page links. */
async function heaviestPage(base, seeded) {
  const home = await (await fetch(base + '/')).text();
  const cssPath = home.match(/<link rel="stylesheet" href="([^"]+)"/)?.[1];
  const css = cssPath ? (await (await fetch(base + cssPath)).arrayBuffer()).byteLength : 0;
  const candidates = new Set(['/', '/?page=2', '/archive', '/about', '/search?q=the', seeded.samplePath, ...seeded.heaviestPostPaths]);
  const archive = await (await fetch(base + '/archive')).text();
  for (const [, href] of archive.matchAll(/href="(\/(?:archive\/\d{4}|authors\/[^"/]+|tags\/[^"/]+))"/g)) candidates.add(href);
  let heaviest = { path: '', bytes: 0 };
  for (const candidate of candidates) {
    const response = await fetch(base + candidate);
    const bytes = (await response.arrayBuffer()).byteLength;
    if (response.status === 200 && bytes > heaviest.bytes) heaviest = { path: candidate, bytes };
  }
  console.log(
    `Heaviest public page of ${candidates.size} checked: ${heaviest.path} ${heaviest.bytes} bytes HTML + ${css} bytes CSS = ${heaviest.bytes + css} bytes (uncompressed; no scripts, no fonts, no images).`,
  );
}

// ── Setting up ─────────────────────────────────────────────────────────────────────────────

/** A deterministic pseudo-random source, so every run benchmarks the same blog. */
function prng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (min, max) => min + Math.floor(next() * (max - min + 1));
  next.pick = (list) => list[Math.floor(next() * list.length)];
  return next;
}

const WORDS = (
  'the of and to in a is that for it as was with be by on not he I this are or his from at which but have an they you were ' +
  'her she there one all we their been has when who will more no if out so said what up its about into than them can only ' +
  'other new some could time these two may then do first any my now such like our over man me even most made after also ' +
  'did many before must through back years where much your way well down should because each just those people how too ' +
  'little state good very make world still own see men work long get here between both life being under never day same ' +
  'another know while last might us great old year off come since against go came right used take three lake river garden ' +
  'letter winter morning evening bridge harbour engine kitchen journey window mountain library village station'
).split(' ');

function sentence(random) {
  const n = random.int(8, 24);
  const words = Array.from({ length: n }, () => random.pick(WORDS));
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return words.join(' ') + random.pick(['.', '.', '.', '?', '!']);
}

/** About `words` words of the HTML the editor makes: paragraphs, headings, lists, quotes, links, code. */
function article(random, words) {
  const parts = [];
  let count = 0;
  while (count < words) {
    const kind = random();
    let html;
    if (kind < 0.07) html = `<h2>${sentence(random).slice(0, 48).replace(/[.?!]$/, '')}</h2>`;
    else if (kind < 0.11) html = `<blockquote><p>${sentence(random)}</p></blockquote>`;
    else if (kind < 0.15) html = `<ul>${Array.from({ length: random.int(2, 5) }, () => `<li>${sentence(random)}</li>`).join('')}</ul>`;
    else if (kind < 0.17) html = `<pre>const answer = ${random.int(1, 99)};\nconsole.log(answer);</pre>`;
    else {
      const sentences = Array.from({ length: random.int(3, 7) }, () => sentence(random));
      if (random() < 0.3) sentences[1] = `See <a href="https://example.org/${random.int(1, 999)}">${sentences[1]}</a>`;
      if (random() < 0.3) sentences[2] = `<strong>${sentences[2]}</strong>`;
      html = `<p>${sentences.join(' ')}</p>`;
    }
    count += html.replace(/<[^>]+>/g, ' ').split(/\s+/).filter(Boolean).length;
    parts.push(html);
  }
  return parts.join('');
}

/** The blog, written through Quire's own db functions (dist/), in one transaction. */
async function seed(dataDir, opts) {
  const started = performance.now();
  const { openDatabase, migrate, readMigrations } = await import(dist('db/database.js'));
  const { insertUser } = await import(dist('db/users.js'));
  const { authorForUser, createDraft, savePostContent, publishPost, postPath } = await import(dist('db/posts.js'));
  const { sanitizePostHtml, htmlToPlainText, countWords } = await import(dist('lib/sanitize.js'));
  const { saveSettings, DEFAULT_SETTINGS } = await import(dist('db/settings.js'));

  const db = openDatabase(path.join(dataDir, 'quire.db'));
  let bytes = 0;
  const posts = [];
  try {
    migrate(db, readMigrations(path.join(root, 'migrations')));
    const random = prng(20261123);
    const publicOrigin = 'http://127.0.0.1';
    const tags = Array.from({ length: 40 }, (_, i) => `${random.pick(WORDS)} ${i + 1}`);
    db.transaction(() => {
      saveSettings(db, { ...DEFAULT_SETTINGS, title: 'Bench Quarterly', description: 'A thousand long posts, for measuring.' });
      const writers = ['Mary Shelley', 'Ada Lovelace', 'Grace Hopper', 'Jane Austen', 'Alan Turing'].map((displayName, i) => {
        const user = insertUser(db, { username: `bench${i}`, displayName, role: i === 0 ? 'owner' : 'writer', passwordHash: 'unused', createdAt: 0 });
        return { user, author: authorForUser(db, user) };
      });
      const first = Date.UTC(2022, 0, 1);
      const step = Math.floor((Date.UTC(2026, 0, 1) - first) / opts.posts);
      for (let i = 0; i < opts.posts; i++) {
        const writer = writers[i % writers.length];
        const at = first + i * step;
        const draft = createDraft(db, writer.author, at);
        const html = sanitizePostHtml(article(random, opts.words), { publicOrigin });
        const text = htmlToPlainText(html);
        const title = sentence(random).replace(/[.?!]$/, '').slice(0, 70);
        const saved = savePostContent(db, {
          id: draft.id,
          baseRevision: draft.revision,
          userId: writer.user.id,
          now: at,
          title,
          slug: '',
          excerpt: '',
          html,
          text,
          wordCount: countWords(text),
          tags: [random.pick(tags), random.pick(tags), random.pick(tags)],
        });
        if (!saved.ok) throw new Error(`bench: seeding post ${i} failed: ${saved.reason}`);
        publishPost(db, draft.id, at);
        bytes += html.length;
        posts.push({ path: postPath(saved.post), size: html.length });
      }
    })();
  } finally {
    db.close();
  }
  // A post from the middle of the blog: it has neighbours on both sides, as most posts do.
  const samplePath = posts[Math.floor(posts.length / 2)].path;
  const heaviestPostPaths = [...posts].sort((a, b) => b.size - a.size).slice(0, 3).map((p) => p.path);
  return { posts: posts.length, bytes, samplePath, heaviestPostPaths, seconds: (performance.now() - started) / 1000 };
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** The built server, as a self-hoster runs it, minus the request log (it would measure the terminal). */
async function startQuire(dataDir) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    QUIRE_SECRET: randomBytes(32).toString('base64'),
    QUIRE_LOG_REQUESTS: '0',
    // For profiling the server under load, e.g. BENCH_QUIRE_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof".
    NODE_OPTIONS: process.env.BENCH_QUIRE_NODE_OPTIONS ?? '',
  };
  const started = await startChild(process.execPath, [path.join(root, 'dist', 'src', 'server.js')], env, /Quire is listening on http:\/\/[^:]+:(\d+)/);
  return started;
}

/** Spawns a server and waits for the line that names its port; its other output is shown on failure only. */
function startChild(command, args, env, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`bench: ${path.basename(args[0])} did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, url: `http://127.0.0.1:${match[1]}` });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench: ${path.basename(args[0])} exited with ${code}:\n${output}`));
    });
  });
}

// Last, so every constant above is initialised before it runs.
if (process.argv[2] === '--bare') {
  serveBare(process.argv[3]);
} else {
  await main();
}

// Scale: the pages readers open most, and a writer's save, on a small blog (100 posts) and a
// large one (10,000 posts, 200,000 revisions by default). Each large-blog time should stay
// within 1.5x of the small one's; the database's size is reported.
//
// Public pages are kept rendered in memory (src/lib/page-cache.ts) until public content changes,
// so asking for the same page twice would time a cache lookup, not the database. Before every
// timed read the suite therefore bumps public_state.version from its own connection, exactly as
// any write by another process (the CLI) does: the server drops its rendered copies and renders
// the page from the database. Cached answers are timed separately. Reads are anonymous, like a
// reader's; the save is the signed-in writer's.
import Database from 'better-sqlite3';
import path from 'node:path';
import { readerTargets } from './concurrency.mjs';
import {
  HttpClient,
  QuireServer,
  ROOT,
  cliInvite,
  dbSize,
  enrolAccount,
  freePort,
  mib,
  newDraft,
  removeDir,
  rng,
  round,
  runNode,
  summarize,
  table,
  tempDir,
  verdict,
} from './lib.mjs';

/** How far the large blog's median may be from the small one's. */
export const SCALE_AIM = 1.5;
const SMALL_POSTS = 100;

/**
 * A blog of `posts` posts and `revisions` revisions in a temp DATA_DIR, with one owner (signed
 * in on the returned client) and the server stopped. Filled by seed.mjs with direct SQL, which
 * is how a blog of years gets made in seconds.
 */
export async function makeBlog(build, { posts, revisions, seed, label }) {
  const dataDir = tempDir(`quire-stress-${label}-`);
  const port = await freePort();
  const server = new QuireServer({ build, dataDir, port });
  await server.start();
  const client = new HttpClient(server.base);
  try {
    await enrolAccount(client, await cliInvite(build, server.env, 'owner'), `${label} writer`);
  } finally {
    await server.stop('SIGTERM');
  }
  const started = performance.now();
  const { stdout } = await runNode([path.join(ROOT, 'scripts', 'stress', 'seed.mjs'), dataDir, String(posts), String(revisions), String(seed)], {
    timeoutMs: 60 * 60_000,
  });
  const seeded = JSON.parse(stdout.trim().split('\n').pop());
  return { dataDir, port, server, client, seeded, seedSeconds: round((performance.now() - started) / 1000, 1), size: dbSize(dataDir) };
}

/**
 * The kinds of request timed. `prepare` runs untimed just before each timed `send`: for rendered
 * reads it empties the page cache, for the cached read it makes sure the copy is there.
 */
function requestKinds(targets, words, draft, { reader, writer, emptyPageCache }) {
  const random = rng(draft.seed);
  return [
    { kind: 'home', prepare: emptyPageCache, send: () => reader.get('/') },
    { kind: 'post page', prepare: emptyPageCache, send: () => reader.get(`/posts/${encodeURIComponent(random.pick(targets.slugs))}`) },
    { kind: 'feed (RSS)', prepare: emptyPageCache, send: () => reader.get('/feed.xml') },
    { kind: 'search', prepare: emptyPageCache, send: () => reader.get(`/search?q=${encodeURIComponent(random.pick(words))}`) },
    {
      kind: 'save (autosave)',
      send: async (n) => {
        // A draft of a few KB that grows and changes like a writer's, based on the last saved version.
        const paragraphs = Array.from({ length: 8 + (n % 8) }, (_, i) => `<p>Paragraph ${i + 1} of save ${n}: ${random.pick(words)} ${random.pick(words)} and more words about it.</p>`);
        const r = await writer.json(`/api/posts/${draft.id}`, { baseRevision: draft.revision, title: `A draft saved ${n} times`, html: paragraphs.join('') });
        if (r.status === 200) draft.revision = JSON.parse(r.body).post.revision;
        return r;
      },
    },
    { kind: 'home (cached)', prepare: () => reader.get('/'), send: () => reader.get('/') },
  ];
}

/** Times every kind `requests` times, round-robin, so a noisy moment on the machine hits all kinds alike. */
async function measure(blog, words, options, deadline) {
  const server = new QuireServer({ build: blog.build, dataDir: blog.dataDir, port: blog.port });
  const startMs = await server.start();
  const reader = new HttpClient(server.base);
  const db = new Database(path.join(blog.dataDir, 'quire.db'));
  db.pragma('busy_timeout = 5000');
  const bump = db.prepare('UPDATE public_state SET version = version + 1');
  try {
    const targets = readerTargets(blog.dataDir);
    const draft = { id: await newDraft(blog.client), revision: 1, seed: options.seed + 3 };
    const kinds = requestKinds(targets, words, draft, { reader, writer: blog.client, emptyPageCache: () => bump.run() });
    const results = new Map(kinds.map((k) => [k.kind, { latencies: [], statuses: {} }]));
    // Warm-up: the first requests compile templates and fill SQLite's page cache.
    for (let n = 0; n < 10; n++) {
      for (const k of kinds) {
        await k.prepare?.();
        await k.send(-1 - n);
      }
    }
    for (let n = 0; n < options.requests && performance.now() < deadline; n++) {
      for (const k of kinds) {
        await k.prepare?.();
        const r = await k.send(n);
        const entry = results.get(k.kind);
        entry.statuses[r.status] = (entry.statuses[r.status] ?? 0) + 1;
        if (r.status === 200) entry.latencies.push(r.ms);
      }
    }
    const memory = server.memory();
    return { startMs: round(startMs, 0), rssMiB: round(memory.rssMiB, 1), byKind: Object.fromEntries([...results].map(([kind, e]) => [kind, { ...summarize(e.latencies), statuses: e.statuses }])) };
  } finally {
    db.close();
    reader.close();
    await server.stop('SIGTERM');
  }
}

export async function scale(options, build, shared) {
  // The small blog keeps the large one's revisions per post, so only the number of posts differs.
  const smallRevisions = Math.max(SMALL_POSTS, Math.round((options.revisions / options.posts) * SMALL_POSTS));
  console.log(`making the small blog (${SMALL_POSTS} posts, ${smallRevisions} revisions)…`);
  const small = { build, ...(await makeBlog(build, { posts: SMALL_POSTS, revisions: smallRevisions, seed: options.seed, label: 'small' })) };
  console.log(`making the large blog (${options.posts} posts, ${options.revisions} revisions)…`);
  const large = { build, ...(await makeBlog(build, { posts: options.posts, revisions: options.revisions, seed: options.seed, label: 'large' })) };
  console.log(`  seeded in ${large.seedSeconds} s; database ${mib(large.size.db)} MiB`);
  // The memory scenario starts the same large blog: it is kept until the whole run ends.
  shared.largeBlog = large;
  const previousCleanup = shared.cleanup;
  shared.cleanup = () => {
    previousCleanup?.();
    large.client.close();
    if (process.env.STRESS_KEEP !== '1') removeDir(large.dataDir);
  };

  // Seeding is not counted against --max-minutes: its time depends on the size asked for.
  const deadline = performance.now() + options.maxMinutes * 60_000;
  try {
    // Search words both blogs share: words of the small blog's titles (the seed draws every blog's
    // words from one vocabulary), so each size is searched for exactly the same words.
    const words = readerTargets(small.dataDir).words.slice(0, 50);
    console.log(`timing ${options.requests} requests of each kind on the small blog…`);
    const smallFigures = await measure(small, words, options, deadline);
    console.log(`timing ${options.requests} requests of each kind on the large blog…`);
    const largeFigures = await measure(large, words, options, deadline);

    const kinds = Object.keys(smallFigures.byKind);
    const rows = [['request', 'small p50', 'small p90', 'large p50', 'large p90', 'large p99', 'ratio p50', `≤ ${SCALE_AIM}x`]];
    const ratios = {};
    for (const kind of kinds) {
      const s = smallFigures.byKind[kind];
      const l = largeFigures.byKind[kind];
      const ratio = round(l.p50 / s.p50, 2);
      ratios[kind] = ratio;
      rows.push([kind, s.p50, s.p90, l.p50, l.p90, l.p99, ratio, ratio !== null && ratio <= SCALE_AIM ? 'yes' : 'NO']);
    }
    const title = `Scale: ${SMALL_POSTS} posts / ${small.seeded.revisions} revisions vs ${large.seeded.posts} posts / ${large.seeded.revisions} revisions (ms, one at a time, page cache emptied before each read)`;
    console.log(table(title, rows));
    const sizes = [
      ['blog', 'posts', 'published', 'revisions', 'quire.db MiB', 'WAL MiB', 'start to first 200 ms', 'RSS after timing MiB'],
      ['small', small.seeded.posts, small.seeded.published, small.seeded.revisions, mib(small.size.db), mib(small.size.wal), smallFigures.startMs, smallFigures.rssMiB],
      ['large', large.seeded.posts, large.seeded.published, large.seeded.revisions, mib(large.size.db), mib(large.size.wal), largeFigures.startMs, largeFigures.rssMiB],
    ];
    console.log(table('Scale: the two databases', sizes));
    const unanswered = kinds.filter((k) => smallFigures.byKind[k].n === 0 || largeFigures.byKind[k].n === 0);
    const badStatuses = kinds.flatMap((k) =>
      [smallFigures, largeFigures].flatMap((f) => Object.keys(f.byKind[k].statuses).filter((s) => s !== '200').map((s) => `${k}: ${s}`)),
    );
    if (badStatuses.length) console.log(`non-200 answers: ${badStatuses.join(', ')}`);
    const timed = kinds.filter((k) => k !== 'home (cached)');
    const withinAim = timed.every((k) => ratios[k] !== null && ratios[k] <= SCALE_AIM);
    const summary = [
      ...timed.map((k) => verdict(`${k}: p50 small → large`, `${smallFigures.byKind[k].p50} → ${largeFigures.byKind[k].p50} ms (${ratios[k]}x)`, `≤ ${SCALE_AIM}x`, ratios[k] !== null && ratios[k] <= SCALE_AIM)),
      verdict(`database size, ${large.seeded.posts} posts / ${large.seeded.revisions} revisions`, `${mib(large.size.db + large.size.wal)} MiB`),
    ];
    return {
      ok: withinAim && unanswered.length === 0 && badStatuses.length === 0,
      figures: {
        small: { ...small.seeded, dbBytes: small.size.db, walBytes: small.size.wal, ...smallFigures },
        large: { ...large.seeded, dbBytes: large.size.db, walBytes: large.size.wal, seedSeconds: large.seedSeconds, ...largeFigures },
        ratiosP50: ratios,
        aim: SCALE_AIM,
        nonOkAnswers: badStatuses,
      },
      summary,
    };
  } finally {
    small.client.close();
    if (process.env.STRESS_KEEP !== '1') removeDir(small.dataDir);
  }
}

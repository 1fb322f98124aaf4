// Concurrency: writers autosaving every second while readers hammer the public pages, and
// other processes (the CLI, a backup) write to the same database now and then. No 5xx, no
// SQLITE_BUSY reaching anyone; latency percentiles of saves and reads.
import Database from 'better-sqlite3';
import path from 'node:path';
import {
  HttpClient,
  QuireServer,
  ROOT,
  busyLines,
  cliInvite,
  enrolAccount,
  freePort,
  newDraft,
  rng,
  round,
  runNode,
  sleep,
  summarize,
  table,
  takeBackup,
  tempDir,
  verdict,
  withTempDirs,
} from './lib.mjs';

const PHRASES = ['The river bends', 'past the old mill', 'where we used to swim', 'in the long summers', 'before the town grew', 'and the road came'];

/** The feed's address, as the home page announces it (falls back to common names). */
export async function findFeeds(client) {
  const home = await client.get('/');
  const links = [...(home.body ?? '').matchAll(/<link[^>]+rel="alternate"[^>]*>/g)].map((m) => m[0].match(/href="([^"]+)"/)?.[1]).filter(Boolean);
  const local = links.map((href) => new URL(href, client.base)).filter((u) => u.origin === client.origin).map((u) => u.pathname);
  if (local.length) return [...new Set(local)];
  for (const candidate of ['/feed.xml', '/rss.xml', '/atom.xml', '/feed.json', '/feed', '/rss']) {
    if ((await client.get(candidate)).status === 200) return [candidate];
  }
  return [];
}

/** What readers can open, read straight from the database the seed filled. */
export function readerTargets(dataDir) {
  const db = new Database(path.join(dataDir, 'quire.db'), { readonly: true });
  const posts = db.prepare("SELECT slug, title FROM posts WHERE status = 'published' AND deleted_at IS NULL AND type = 'post'").all();
  const tags = db.prepare('SELECT DISTINCT t.slug FROM tags t JOIN post_tags pt ON pt.tag_id = t.id').pluck().all();
  const authors = db.prepare('SELECT slug FROM authors').pluck().all();
  db.close();
  const words = [...new Set(posts.flatMap((p) => p.title.toLowerCase().split(/\s+/)))].filter((w) => w.length > 2);
  return { slugs: posts.map((p) => p.slug), tags, authors, words };
}

/** What a crowd of readers asks for: mostly the home page and posts, some feeds, search and lists. */
export function readerMix(random, targets, feeds) {
  const pages = Math.max(1, Math.ceil(targets.slugs.length / 10));
  return () => {
    const r = random();
    if (r < 0.25) return ['home', random() < 0.8 || pages < 2 ? '/' : `/?page=${random.int(2, Math.min(pages, 15))}`];
    if (r < 0.65) return ['post', `/posts/${encodeURIComponent(random.pick(targets.slugs))}`];
    if (r < 0.75 && feeds.length) return ['feed', random.pick(feeds)];
    if (r < 0.85) return ['search', `/search?q=${encodeURIComponent(random.pick(targets.words))}`];
    if (r < 0.9) return ['archive', '/archive'];
    if (r < 0.95 && targets.tags.length) return ['tag', `/tags/${random.pick(targets.tags)}`];
    return ['author', `/authors/${random.pick(targets.authors)}`];
  };
}

export async function concurrency(options, build) {
  return withTempDirs(async () => {
    const random = rng(options.seed + 1);
    const dataDir = tempDir('quire-stress-concurrency-');
    const port = await freePort();
    const server = new QuireServer({ build, dataDir, port });
    await server.start();

    // Writers: one owner and the rest writers, each enrolled through a real invite.
    const writers = [];
    for (let i = 0; i < options.writers; i++) {
      const client = new HttpClient(server.base, { maxSockets: 2 });
      await enrolAccount(client, await cliInvite(build, server.env, i === 0 ? 'owner' : 'writer'), `Writer ${i + 1}`);
      writers.push({ client, id: await newDraft(client), base: 1, paragraphs: [], latencies: [], statuses: {}, late: 0 });
    }
    // A small blog to read: 200 posts with a history.
    const seeded = JSON.parse((await runNode([path.join(ROOT, 'scripts', 'stress', 'seed.mjs'), dataDir, '200', '2000', String(options.seed)])).stdout);
    const targets = readerTargets(dataDir);
    const probe = new HttpClient(server.base);
    const feeds = await findFeeds(probe);
    probe.close();
    // Two writers edit posts that are already published, so their saves empty the page cache.
    for (const writer of writers.slice(0, 2)) {
      const r = await writer.client.json(`/api/posts/${writer.id}`, { baseRevision: writer.base, title: `Live post by ${writer.id}`, html: '<p>Published early.</p>' });
      writer.base = JSON.parse(r.body).post.revision;
      await writer.client.form(`/write/${writer.id}/publish`);
    }

    const readUrl = readerMix(random, targets, feeds);

    const durationMs = options.durationS * 1000;
    const started = performance.now();
    const end = started + durationMs;
    const reads = new Map(); // kind → { latencies, statuses }
    const fiveXX = [];
    const errors = [];
    const busyAnswers = [];
    const record = (kind, r) => {
      let entry = reads.get(kind);
      if (!entry) reads.set(kind, (entry = { latencies: [], statuses: {} }));
      entry.statuses[r.status] = (entry.statuses[r.status] ?? 0) + 1;
      if (r.status === 0) errors.push(`${kind}: ${r.error}`);
      else entry.latencies.push(r.ms);
      if (r.status >= 500) fiveXX.push(`${kind} ${r.status}`);
      if (r.status >= 400 && /SQLITE_BUSY|database is locked/i.test(r.body ?? '')) busyAnswers.push(kind);
    };

    // Readers: closed loops with no pause, the harshest case for a single Node process.
    const readerClient = new HttpClient(server.base, { maxSockets: options.readers });
    const readers = Array.from({ length: options.readers }, async () => {
      for (let n = 0; n < 10_000_000 && performance.now() < end; n++) {
        const [kind, url] = readUrl();
        record(kind, await readerClient.get(url));
      }
    });

    // Writers: a save every second each, as the editor does while someone types.
    const writerLoops = writers.map(async (writer, index) => {
      await sleep(index * (1000 / writers.length));
      let next = performance.now();
      for (let n = 1; performance.now() < end && n <= options.durationS + 5; n++) {
        writer.paragraphs.push(`${random.pick(PHRASES)} ${random.pick(PHRASES).toLowerCase()}, save ${n}.`);
        if (writer.paragraphs.length > 60) writer.paragraphs.splice(0, 30);
        const html = writer.paragraphs.map((p) => `<p>${p}</p>`).join('');
        const r = await writer.client.json(`/api/posts/${writer.id}`, { baseRevision: writer.base, title: `Draft of writer ${index + 1}`, html });
        writer.statuses[r.status] = (writer.statuses[r.status] ?? 0) + 1;
        if (r.status === 200) {
          writer.base = JSON.parse(r.body).post.revision;
          writer.latencies.push(r.ms);
        } else {
          if (r.status >= 500) fiveXX.push(`save ${r.status}`);
          if (r.status === 0) errors.push(`save: ${r.error}`);
          if (/SQLITE_BUSY|database is locked/i.test(r.body ?? '')) busyAnswers.push('save');
        }
        next += 1000;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        else writer.late++;
      }
    });

    // Other processes writing to the same file: the CLI every 5 s, a backup half-way through.
    const others = { invites: 0, backups: 0, backupMethod: null, failures: [], stderr: '' };
    const otherLoop = (async () => {
      let backedUp = false;
      for (let round = 0; round < 10_000 && performance.now() < end - 1000; round++) {
        await sleep(Math.min(5000, end - 1000 - performance.now()));
        if (performance.now() >= end - 1000) break;
        try {
          const out = await runNode([path.join(build, 'dist', 'src', 'cli.js'), 'invite'], { env: server.env, cwd: build, timeoutMs: 30_000 });
          others.stderr += out.stderr;
          others.invites++;
        } catch (error) {
          others.failures.push(error.message.slice(0, 300));
          others.stderr += error.stderr ?? '';
        }
        if (!backedUp && performance.now() > started + durationMs / 2) {
          backedUp = true;
          try {
            const taken = await takeBackup(build, server.env, dataDir, path.join(tempDir('quire-stress-concurrent-backup-'), 'backup'), { timeoutMs: 60_000 });
            others.stderr += taken.stderr;
            others.backupMethod = taken.method;
            others.backups++;
          } catch (error) {
            others.failures.push(error.message.slice(0, 300));
            others.stderr += error.stderr ?? '';
          }
        }
      }
    })();

    let memoryAfter = null;
    await Promise.all([...readers, ...writerLoops]);
    // Readers and writers stop at the deadline; req/s counts their time only.
    const elapsedS = (performance.now() - started) / 1000;
    await otherLoop;
    try {
      memoryAfter = server.memory();
    } catch {
      // the server died: reported below through its stderr
    }
    readerClient.close();
    for (const writer of writers) writer.client.close();
    await server.stop('SIGTERM');

    const serverBusy = busyLines(server.stderr);
    const otherBusy = busyLines(others.stderr);
    const saveLatencies = writers.flatMap((w) => w.latencies);
    const allReads = [...reads.values()].flatMap((e) => e.latencies);
    const kinds = [...reads.keys()].sort();
    const statusText = (statuses) =>
      Object.entries(statuses)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ');
    const rows = [['kind', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'statuses']];
    const saves = summarize(saveLatencies);
    const saveStatuses = {};
    for (const w of writers) for (const [s, n] of Object.entries(w.statuses)) saveStatuses[s] = (saveStatuses[s] ?? 0) + n;
    rows.push(['save (writers)', saves.n, round(saves.n / elapsedS, 1), saves.p50, saves.p90, saves.p99, saves.max, statusText(saveStatuses)]);
    const readsAll = summarize(allReads);
    rows.push(['read (all kinds)', readsAll.n, round(readsAll.n / elapsedS, 0), readsAll.p50, readsAll.p90, readsAll.p99, readsAll.max, '']);
    const byKind = {};
    for (const kind of kinds) {
      const entry = reads.get(kind);
      const s = summarize(entry.latencies);
      byKind[kind] = { ...s, statuses: entry.statuses };
      rows.push([`  ${kind}`, s.n, round(s.n / elapsedS, 0), s.p50, s.p90, s.p99, s.max, statusText(entry.statuses)]);
    }
    console.log(table(`Concurrency: ${options.writers} writers saving every second, ${options.readers} readers without pause, ${round(elapsedS, 1)} s`, rows));
    const figures = {
      durationS: round(elapsedS, 1),
      writers: options.writers,
      readers: options.readers,
      blog: seeded,
      feeds,
      saves: { ...saves, statuses: saveStatuses, lateTicks: writers.reduce((n, w) => n + w.late, 0) },
      reads: { ...readsAll, perSecond: round(readsAll.n / elapsedS, 0), byKind },
      fiveXX: fiveXX.length,
      fiveXXSamples: fiveXX.slice(0, 10),
      networkErrors: errors.length,
      networkErrorSamples: errors.slice(0, 10),
      busyInAnswers: busyAnswers.length,
      busyInServerStderr: serverBusy.length,
      busyInOtherProcesses: otherBusy.length,
      busySamples: [...serverBusy, ...otherBusy].slice(0, 5),
      otherProcesses: { cliInvites: others.invites, backups: others.backups, backupMethod: others.backupMethod, failures: others.failures },
      serverStderrLines: server.stderr.split('\n').filter(Boolean).length,
      serverStderrSample: server.stderr.slice(0, 2000),
      serverMemoryAfterMiB: memoryAfter ? { rss: round(memoryAfter.rssMiB, 1), peak: round(memoryAfter.peakMiB, 1) } : null,
    };
    console.log(
      table('Concurrency: what must not happen', [
        ['check', 'count'],
        ['5xx answers', figures.fiveXX],
        ['network errors (no answer)', figures.networkErrors],
        ['SQLITE_BUSY / locked in answers', figures.busyInAnswers],
        ['SQLITE_BUSY / locked in server stderr', figures.busyInServerStderr],
        ['SQLITE_BUSY / locked in CLI/backup stderr', figures.busyInOtherProcesses],
        ['CLI invites / backups during the load', `${others.invites} / ${others.backups}`],
        ['failed CLI runs', others.failures.length],
        ['server stderr lines', figures.serverStderrLines],
        ['server RSS after the load (MiB)', figures.serverMemoryAfterMiB?.rss],
        ['server peak RSS (MiB)', figures.serverMemoryAfterMiB?.peak],
      ]),
    );
    if (figures.serverStderrLines) console.log(`server stderr (first lines):\n${figures.serverStderrSample}`);
    const ok =
      figures.fiveXX === 0 &&
      figures.networkErrors === 0 &&
      figures.busyInAnswers === 0 &&
      figures.busyInServerStderr === 0 &&
      figures.busyInOtherProcesses === 0 &&
      others.failures.length === 0 &&
      saves.n > 0;
    const summary = [
      verdict('5xx answers', figures.fiveXX, '0', figures.fiveXX === 0),
      verdict('SQLITE_BUSY reaching anyone (answers, stderr)', figures.busyInAnswers + figures.busyInServerStderr + figures.busyInOtherProcesses, '0',
        figures.busyInAnswers + figures.busyInServerStderr + figures.busyInOtherProcesses === 0),
      verdict('requests without an answer', figures.networkErrors, '0', figures.networkErrors === 0),
      verdict(`save p99 (${options.writers} writers, 1/s each)`, `${saves.p99} ms (n=${saves.n})`),
      verdict(`read p99 (${options.readers} readers, no pause)`, `${readsAll.p99} ms (${figures.reads.perSecond} req/s)`),
      verdict('CLI invites / backups from other processes', `${others.invites} / ${others.backups}`, 'no failure', others.failures.length === 0),
    ];
    return { ok, figures, summary };
  });
}

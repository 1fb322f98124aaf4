// Memory and start-up on the large blog (10,000 posts by default): the time from spawning
// `node dist/src/server.js` to its first 200 on /healthz, resident memory right after start,
// and resident memory after a spell of mixed load (readers without pause and writers saving
// every second). Aims: start under 1 s, resident memory under 100 MB.
import { findFeeds, readerMix, readerTargets } from './concurrency.mjs';
import { HttpClient, QuireServer, newDraft, percentile, rng, round, sleep, summarize, table, verdict, withTempDirs } from './lib.mjs';
import { makeBlog } from './scale.mjs';

const START_AIM_MS = 1000;
/** The aim says 100 MB; /proc reports KiB, so the comparison is in MiB: 100 MB = 95.4 MiB. */
const RSS_AIM_MIB = 100e6 / 1024 / 1024;

export async function memory(options, build, shared) {
  return withTempDirs(async () => {
    const deadline = performance.now() + options.maxMinutes * 60_000;
    let blog = shared.largeBlog;
    const ownBlog = !blog;
    if (!blog) {
      console.log(`making the large blog (${options.posts} posts, ${options.revisions} revisions; run "scale" first to share it)…`);
      blog = await makeBlog(build, { posts: options.posts, revisions: options.revisions, seed: options.seed, label: 'large' });
    }
    const server = new QuireServer({ build, dataDir: blog.dataDir, port: blog.port });

    // Cold-ish starts: the first after the database was written, then a few more for the spread.
    const starts = [];
    const rssAfterStart = [];
    for (let i = 0; i < options.starts && performance.now() < deadline; i++) {
      if (i > 0) await server.stop('SIGTERM');
      starts.push(await server.start());
      rssAfterStart.push(server.memory().rssMiB);
    }
    // One second of quiet: what the process settles to once start-up garbage is collected.
    await sleep(1000);
    const idle = server.memory();

    // The load: readers in closed loops over the whole blog, writers saving every second.
    const random = rng(options.seed + 5);
    const targets = readerTargets(blog.dataDir);
    const readers = new HttpClient(server.base, { maxSockets: options.readers });
    const feeds = await findFeeds(readers);
    const readUrl = readerMix(random, targets, feeds);
    const writerClient = blog.client;
    const draft = { id: await newDraft(writerClient), revision: 1 };
    const statuses = {};
    const latencies = [];
    const samples = [];
    const end = performance.now() + options.loadS * 1000;
    const readerLoops = Array.from({ length: options.readers }, async () => {
      for (let n = 0; n < 10_000_000 && performance.now() < end; n++) {
        const [, url] = readUrl();
        const r = await readers.get(url);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        latencies.push(r.ms);
      }
    });
    const writerLoop = (async () => {
      const paragraphs = [];
      for (let n = 1; performance.now() < end && n <= options.loadS + 5; n++) {
        const tick = performance.now();
        paragraphs.push(`<p>Save ${n}: ${random.pick(targets.words)} ${random.pick(targets.words)}.</p>`);
        const r = await writerClient.json(`/api/posts/${draft.id}`, { baseRevision: draft.revision, title: 'Memory draft', html: paragraphs.join('') });
        statuses[`save ${r.status}`] = (statuses[`save ${r.status}`] ?? 0) + 1;
        if (r.status === 200) draft.revision = JSON.parse(r.body).post.revision;
        await sleep(Math.max(0, 1000 - (performance.now() - tick)));
      }
    })();
    const sampler = (async () => {
      for (let n = 0; n < 100_000 && performance.now() < end; n++) {
        await sleep(Math.min(500, Math.max(0, end - performance.now())));
        samples.push(server.memory().rssMiB);
      }
    })();
    await Promise.all([...readerLoops, writerLoop, sampler]);
    const afterLoad = server.memory();
    await sleep(5000);
    const settled = server.memory();
    readers.close();
    if (ownBlog) writerClient.close();
    await server.stop('SIGTERM');

    const startStats = summarize(starts);
    const reads = summarize(latencies);
    const fiveXX = Object.entries(statuses).filter(([s]) => /(^| )5\d\d$/.test(s) || s === '0' || s === 'save 0').reduce((n, [, v]) => n + v, 0);
    const rows = [
      ['measure', 'value', 'aim'],
      [`start to first 200 on /healthz, median of ${starts.length} (ms)`, round(percentile(starts, 50), 0), `< ${START_AIM_MS}`],
      ['start to first 200, first / slowest (ms)', `${round(starts[0], 0)} / ${round(startStats.max, 0)}`, ''],
      ['RSS right after start, median (MiB)', round(percentile(rssAfterStart, 50), 1), `< ${round(RSS_AIM_MIB, 1)}`],
      ['RSS after 1 s idle (MiB)', round(idle.rssMiB, 1), `< ${round(RSS_AIM_MIB, 1)}`],
      [`RSS during load, max of ${samples.length} samples (MiB)`, round(Math.max(...samples), 1), ''],
      [`RSS right after ${options.loadS} s of load (MiB)`, round(afterLoad.rssMiB, 1), `< ${round(RSS_AIM_MIB, 1)}`],
      ['RSS 5 s after the load (MiB)', round(settled.rssMiB, 1), `< ${round(RSS_AIM_MIB, 1)}`],
      ['peak RSS, VmHWM (MiB)', round(settled.peakMiB, 1), ''],
      [`requests during the load (${options.readers} readers, 1 writer)`, `${reads.n} reads, p99 ${reads.p99} ms`, ''],
      ['5xx / unanswered during the load', fiveXX, '0'],
    ];
    console.log(table(`Memory and start: ${blog.seeded.posts} posts, ${blog.seeded.revisions} revisions`, rows));
    const medianStart = percentile(starts, 50);
    const figures = {
      posts: blog.seeded.posts,
      revisions: blog.seeded.revisions,
      startMs: starts.map((ms) => round(ms, 0)),
      startMedianMs: round(medianStart, 0),
      rssAfterStartMiB: rssAfterStart.map((v) => round(v, 1)),
      rssIdleMiB: round(idle.rssMiB, 1),
      rssDuringLoadMaxMiB: round(Math.max(...samples), 1),
      rssAfterLoadMiB: round(afterLoad.rssMiB, 1),
      rssSettledMiB: round(settled.rssMiB, 1),
      peakMiB: round(settled.peakMiB, 1),
      load: { seconds: options.loadS, readers: options.readers, reads, statuses },
      aims: { startMs: START_AIM_MS, rssMiB: RSS_AIM_MIB },
    };
    const startOk = medianStart < START_AIM_MS;
    const rssStartOk = idle.rssMiB < RSS_AIM_MIB;
    const rssLoadOk = afterLoad.rssMiB < RSS_AIM_MIB;
    const summary = [
      verdict(`start to first /healthz 200 (${blog.seeded.posts} posts), median`, `${round(medianStart, 0)} ms`, `< ${START_AIM_MS} ms`, startOk),
      verdict('RSS after start (1 s idle)', `${round(idle.rssMiB, 1)} MiB`, '< 100 MB', rssStartOk),
      verdict(`RSS after ${options.loadS} s of load / 5 s later`, `${round(afterLoad.rssMiB, 1)} / ${round(settled.rssMiB, 1)} MiB`, '< 100 MB', rssLoadOk),
      verdict('5xx / unanswered during the memory load', fiveXX, '0', fiveXX === 0),
    ];
    return { ok: startOk && rssStartOk && rssLoadOk && fiveXX === 0, figures, summary };
  });
}

// `npm run stress [-- <scenario…>] [--options]`: Quire under faults, load and scale, with figures.
// Everything runs against 127.0.0.1, in temp directories that are removed afterwards; every loop
// is bounded in count and time. `npm run stress -- --help` lists the scenarios and options.
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { concurrency } from './concurrency.mjs';
import { durability } from './durability.mjs';
import { machine, snapshotBuild } from './lib.mjs';
import { memory } from './memory.mjs';
import { scale } from './scale.mjs';

const SCENARIOS = { durability, concurrency, scale, memory };

const HELP = `Usage: npm run stress [-- <scenario…>] [options]

Scenarios (default: all, in this order):
  durability   1,000 autosaves and publish toggles under random SIGKILLs; backups during writes
  concurrency  5 writers saving every second and 100 readers, for --duration seconds
  scale        home, post, feed, search and save at 100 posts vs 10,000 posts / 200,000 revisions
  memory       resident memory after start and after load; start to first /healthz 200 (10,000 posts)

Options:
  --json <file>        also write every figure as JSON to this file
  --duration <s>       concurrency: seconds of load (default 60)
  --readers <n>        concurrency: concurrent readers (default 100)
  --writers <n>        concurrency: writers saving every second (default 5)
  --saves <n>          durability: acknowledged saves to reach (default 1000)
  --toggles <n>        durability: acknowledged publish/unpublish changes (default 200)
  --backups <n>        durability: backups taken during writes (default 3)
  --kill-min <ms>      durability: shortest time between SIGKILLs (default 20)
  --kill-max <ms>      durability: longest time between SIGKILLs (default 400)
  --posts <n>          scale/memory: posts in the large database (default 10000)
  --revisions <n>      scale/memory: revisions in the large database (default 200000)
  --requests <n>       scale: timed requests per page and size (default 200)
  --load <s>           memory: seconds of mixed load before the second reading (default 20)
  --seed <n>           random seed, to repeat a run (default: random)
  --max-minutes <n>    give up on a scenario after this long (default 15)

STRESS_KEEP=1 keeps the temp directories for inspection.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    help: { type: 'boolean', short: 'h' },
    json: { type: 'string' },
    duration: { type: 'string', default: '60' },
    readers: { type: 'string', default: '100' },
    writers: { type: 'string', default: '5' },
    saves: { type: 'string', default: '1000' },
    toggles: { type: 'string', default: '200' },
    backups: { type: 'string', default: '3' },
    'kill-min': { type: 'string', default: '20' },
    'kill-max': { type: 'string', default: '400' },
    posts: { type: 'string', default: '10000' },
    revisions: { type: 'string', default: '200000' },
    requests: { type: 'string', default: '200' },
    load: { type: 'string', default: '20' },
    seed: { type: 'string' },
    'max-minutes': { type: 'string', default: '15' },
  },
});

if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const positive = (name) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number, got "${values[name]}"`);
    process.exit(2);
  }
  return n;
};

const wanted = positionals.length === 0 || positionals.includes('all') ? Object.keys(SCENARIOS) : positionals;
for (const name of wanted) {
  if (!SCENARIOS[name]) {
    console.error(`Unknown scenario "${name}".\n\n${HELP}`);
    process.exit(2);
  }
}

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const options = {
  seed,
  json: values.json,
  durationS: positive('duration'),
  readers: Math.floor(positive('readers')),
  writers: Math.floor(positive('writers')),
  saves: Math.floor(positive('saves')),
  toggles: Math.floor(positive('toggles')),
  backups: Math.floor(positive('backups')),
  kill: { minMs: Math.floor(positive('kill-min')), maxMs: Math.floor(positive('kill-max')) },
  posts: Math.floor(positive('posts')),
  revisions: Math.floor(positive('revisions')),
  requests: Math.floor(positive('requests')),
  loadS: positive('load'),
  maxMinutes: positive('max-minutes'),
};
if (options.kill.maxMs < options.kill.minMs) options.kill.maxMs = options.kill.minMs;

const host = machine();
console.log(`Quire stress suite: ${wanted.join(', ')} — seed ${seed}`);
console.log(`Machine: ${host.cpus} CPU (${host.cpuModel}), ${host.memoryGiB} GiB RAM, Node ${host.node}, ${host.platform}`);

const report = { startedAt: new Date().toISOString(), machine: host, seed, options, scenarios: {} };
const build = snapshotBuild();
let failed = 0;
// Large databases are expensive to make: scale hands its 10,000-post directory to memory.
const shared = {};
for (const name of wanted) {
  const started = performance.now();
  console.log(`\n━━ ${name} ━━`);
  try {
    const result = await SCENARIOS[name](options, build, shared);
    report.scenarios[name] = { ok: result.ok, seconds: Math.round((performance.now() - started) / 100) / 10, ...result.figures };
    if (!result.ok) failed++;
    console.log(`\n${name}: ${result.ok ? 'PASS' : 'FAIL'} (${report.scenarios[name].seconds} s)`);
  } catch (error) {
    failed++;
    report.scenarios[name] = { ok: false, error: String(error.stack ?? error) };
    console.error(`\n${name}: ERROR — ${error.stack ?? error}`);
  }
}
shared.cleanup?.();
report.finishedAt = new Date().toISOString();
if (options.json) {
  writeFileSync(options.json, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nFigures written to ${options.json}`);
}
console.log(`\n${wanted.length - failed} of ${wanted.length} scenarios passed.`);
process.exit(failed ? 1 : 0);

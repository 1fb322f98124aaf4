// `npm run stress [-- <scenario…>] [--options]`: Quire under faults, load and scale, with figures.
// Everything runs against 127.0.0.1, in temp directories that are removed afterwards; every loop
// is bounded in count and time. `npm run stress -- --help` lists the scenarios and options.
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { concurrency } from './concurrency.mjs';
import { durability } from './durability.mjs';
import { machine, snapshotBuild, table } from './lib.mjs';
import { memory } from './memory.mjs';
import { scale } from './scale.mjs';

const SCENARIOS = { durability, concurrency, scale, memory };

const HELP = `Usage: npm run stress [-- <scenario…>] [options]

Scenarios (default: all, in this order):
  durability   1,000 autosaves and 1,000 publish/unpublish changes under random SIGKILLs; backups during writes
  concurrency  5 writers saving every second and 100 readers, for --duration seconds
  scale        home, post, feed, search and save at 100 posts vs 10,000 posts / 200,000 revisions
  memory       resident memory after start and after load; start to first /healthz 200 (10,000 posts)

Options (each also settable as STRESS_<NAME>, e.g. STRESS_DURATION=10; a flag wins):
  --json <file>        also write every figure as JSON to this file
  --duration <s>       concurrency: seconds of load (default 60)
  --readers <n>        concurrency, memory: concurrent readers (default 100)
  --writers <n>        concurrency: writers saving every second (default 5)
  --saves <n>          durability: acknowledged saves to reach (default 1000)
  --toggles <n>        durability: acknowledged publish/unpublish changes (default 1000)
  --backups <n>        durability: backups taken during writes (default 3)
  --kill-min <ms>      durability: shortest time between SIGKILLs (default 20)
  --kill-max <ms>      durability: longest time between SIGKILLs (default 400)
  --min-kills <n>      durability: each phase goes on until it has also seen this many SIGKILLs (default 10)
  --posts <n>          scale, memory: posts in the large database (default 10000)
  --revisions <n>      scale, memory: revisions in the large database (default 200000)
  --requests <n>       scale: timed requests per kind and size (default 200)
  --starts <n>         memory: server starts timed on the large database (default 5)
  --load <s>           memory: seconds of mixed load before the second reading (default 20)
  --node-options <s>   NODE_OPTIONS for the Quire servers under test, e.g. "--max-semi-space-size=2"
  --seed <n>           random seed, to repeat a run (default: random)
  --max-minutes <n>    give up on a scenario after this long (default 15; seeding is not counted)

STRESS_KEEP=1 keeps the temp directories for inspection.`;

const DEFAULTS = {
  duration: '60',
  readers: '100',
  writers: '5',
  saves: '1000',
  toggles: '1000',
  backups: '3',
  'kill-min': '20',
  'kill-max': '400',
  'min-kills': '10',
  posts: '10000',
  revisions: '200000',
  requests: '200',
  starts: '5',
  load: '20',
  'max-minutes': '15',
};
const fromEnv = (name) => process.env[`STRESS_${name.toUpperCase().replace(/-/g, '_')}`];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    help: { type: 'boolean', short: 'h' },
    json: { type: 'string', default: fromEnv('json') },
    seed: { type: 'string', default: fromEnv('seed') },
    'node-options': { type: 'string', default: fromEnv('node-options') },
    ...Object.fromEntries(Object.entries(DEFAULTS).map(([name, value]) => [name, { type: 'string', default: fromEnv(name) ?? value }])),
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
  minKills: Math.floor(Number(values['min-kills'])) || 0,
  posts: Math.floor(positive('posts')),
  revisions: Math.floor(positive('revisions')),
  requests: Math.floor(positive('requests')),
  starts: Math.floor(positive('starts')),
  loadS: positive('load'),
  maxMinutes: positive('max-minutes'),
  nodeOptions: values['node-options'] ?? null,
};
if (options.kill.maxMs < options.kill.minMs) options.kill.maxMs = options.kill.minMs;

// lib.mjs hands it to every server it starts.
if (values['node-options']) process.env.STRESS_NODE_OPTIONS = values['node-options'];

const host = machine();
console.log(`Quire stress suite: ${wanted.join(', ')} — seed ${seed}`);
console.log(`Machine: ${host.cpus} CPU (${host.cpuModel}), ${host.memoryGiB} GiB RAM, Node ${host.node}, ${host.platform}`);
if (options.nodeOptions) console.log(`Servers run with NODE_OPTIONS=${options.nodeOptions}`);

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
    report.scenarios[name] = { ok: result.ok, seconds: Math.round((performance.now() - started) / 100) / 10, summary: result.summary, ...result.figures };
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

// ── The summary: every scenario's headline figures against their aims, in one table ──
const rows = [['scenario', 'measure', 'value', 'aim', 'met']];
for (const name of wanted) {
  const result = report.scenarios[name];
  if (!result.summary) {
    rows.push([name, result.error ? 'ERROR' : 'no figures', result.error ? result.error.split('\n')[0].slice(0, 80) : '', '', 'NO']);
    continue;
  }
  for (const line of result.summary) rows.push([name, line.measure, line.value, line.aim, line.ok === null ? '' : line.ok ? 'yes' : 'NO']);
}
console.log(table(`Summary — ${host.cpus} CPU (${host.cpuModel}), ${host.memoryGiB} GiB RAM, Node ${host.node}, seed ${seed}`, rows));
if (options.json) {
  writeFileSync(options.json, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nFigures written to ${options.json}`);
}
console.log(`\n${wanted.length - failed} of ${wanted.length} scenarios passed.`);
process.exit(failed ? 1 : 0);

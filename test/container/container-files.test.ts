// The container files keep the promises docs/deploy.md makes: a non-root numeric user, no key baked into the image,
// a health check, all state in /data, least privilege in the Quadlet unit. Each check is a function returning the
// broken promises, run on the real files (expect none) and on a copy with one promise broken (expect that one), so a
// check that could never fail is caught here too. The real build-and-run test is scripts/test-container.sh.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

// ── Containerfile ────────────────────────────────────────────────────────────────────────────────────────────────

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions per stage (index 0 holds what comes before the first FROM), continuations joined, comments dropped. */
function parseContainerfile(text: string): Instruction[][] {
  const stages: Instruction[][] = [[]];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (!full) continue;
    const [keyword = '', ...rest] = full.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)!.push(instruction);
  }
  return stages;
}

/** KEY=value pairs of ENV, ARG and LABEL (quotes removed); the old `ENV KEY value` form too. */
function assignments(instruction: Instruction): Array<[string, string]> {
  const pairs = [...instruction.args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)].map(
    ([, key, value]) => [key!, value!.replace(/^["']|["']$/g, '')] as [string, string],
  );
  if (pairs.length === 0 && instruction.keyword === 'ENV') {
    const [key = '', ...value] = instruction.args.split(/\s+/);
    return [[key, value.join(' ')]];
  }
  return pairs;
}

const SECRET_NAME = /secret|password|passwd|token|private_key|api_key/i;
// Files a build context may hold locally that must never reach an image.
const SECRET_FILE = /(^|\/)(secret\.key|\.env(\..*)?|.*\.pem|data\/?|.*\.db)$/;
const OCI_LABELS = ['title', 'description', 'licenses', 'version', 'revision', 'created'].map((l) => `org.opencontainers.image.${l}`);
const RUNTIME_FILES = ['dist', 'static', 'migrations', 'package.json', 'node_modules', 'healthcheck.mjs'];

function containerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const [globals = [], ...stages] = parseContainerfile(text);
  const final = stages.at(-1) ?? [];
  const all = [...globals, ...stages.flat()];
  const argDefaults = new Map(globals.filter((i) => i.keyword === 'ARG').flatMap(assignments));
  const image = (i: Instruction) => i.args.split(/\s+/)[0]!.replace(/\$\{?(\w+)\}?/g, (_, name: string) => argDefaults.get(name) ?? '');

  if (stages.length < 2) problems.push('multi-stage: a build stage and a runtime stage');
  for (const stage of stages) {
    const from = stage[0]!;
    if (!/^(docker\.io\/library\/)?node:24[\w.-]*-slim$/.test(image(from))) problems.push(`official Node 24 slim base: FROM ${image(from)}`);
  }
  const build = stages.slice(0, -1).flat();
  if (!build.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))) problems.push('build stage runs npm ci');
  if (!build.some((i) => i.keyword === 'RUN' && /\bnpm prune\b.*--omit=dev/.test(i.args))) problems.push('build stage prunes to production dependencies');

  // Only production files reach the runtime stage, and only from the build stage, never straight from the context.
  for (const copy of final.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
    if (!/--from=\S+/.test(copy.args)) problems.push(`runtime stage copies only from the build stage: ${copy.keyword} ${copy.args}`);
    const sources = copy.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1);
    for (const source of sources) {
      if (!RUNTIME_FILES.some((f) => source.replace(/\/$/, '').endsWith(`/${f}`))) problems.push(`runtime stage copies a production file: ${source}`);
    }
  }

  const users = final.filter((i) => i.keyword === 'USER');
  const user = users.at(-1)?.args ?? '';
  const uid = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!uid || Number(uid[1]) === 0 || (uid[2] !== undefined && Number(uid[2]) === 0)) problems.push(`numeric non-root USER in the runtime stage (got "${user}")`);

  for (const instruction of all) {
    if (['ENV', 'ARG', 'LABEL'].includes(instruction.keyword)) {
      for (const [key, value] of assignments(instruction)) {
        // A path to a secret file is fine (QUIRE_SECRET_FILE); a value for the secret itself is not.
        if (SECRET_NAME.test(key) && !/_FILE$/.test(key) && value !== '') problems.push(`no secret baked in: ${instruction.keyword} ${key}`);
      }
    }
    if (/QUIRE_SECRET(_OLD)?=(?!\s|$)/.test(instruction.args) && !['ENV', 'ARG', 'LABEL'].includes(instruction.keyword)) {
      problems.push(`no secret baked in: ${instruction.keyword} sets QUIRE_SECRET`);
    }
    if (instruction.keyword === 'COPY' || instruction.keyword === 'ADD') {
      for (const source of instruction.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1)) {
        if (SECRET_FILE.test(source)) problems.push(`no secret baked in: ${instruction.keyword} ${source}`);
        // Docker does not read .containerignore: copying the whole context would take local data and keys along.
        if (/^\.\/?$/.test(source) && !/--from=/.test(instruction.args)) problems.push(`no whole-context copy: ${instruction.keyword} ${instruction.args}`);
      }
    }
  }

  const health = final.filter((i) => i.keyword === 'HEALTHCHECK').at(-1)?.args ?? '';
  if (!/\bCMD\b.*\bnode\b/.test(health)) problems.push('HEALTHCHECK in the runtime stage, run by node');
  if (/\b(curl|wget)\b/.test(health)) problems.push('HEALTHCHECK without curl or wget (the slim image has neither)');

  const volumes = final.filter((i) => i.keyword === 'VOLUME').map((i) => i.args).join(' ');
  if (!/(^|[\s["])\/data(["\]\s,]|$)/.test(volumes)) problems.push('VOLUME /data');
  const exposed = final.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
  if (!exposed.some((p) => p === '8080' || p === '8080/tcp')) problems.push('EXPOSE 8080');

  const env = new Map(final.filter((i) => i.keyword === 'ENV').flatMap(assignments));
  const wanted = { NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '8080', DATA_DIR: '/data' };
  for (const [key, value] of Object.entries(wanted)) {
    if (env.get(key) !== value) problems.push(`ENV ${key}=${value}`);
  }
  const labels = new Set(final.filter((i) => i.keyword === 'LABEL').flatMap((i) => assignments(i).map(([key]) => key)));
  for (const label of OCI_LABELS) if (!labels.has(label)) problems.push(`LABEL ${label}`);

  const cmd = final.filter((i) => i.keyword === 'CMD').at(-1)?.args ?? '';
  if (!cmd.includes('dist/src/server.js')) problems.push('CMD starts dist/src/server.js');
  return problems;
}

// ── Quadlet units ────────────────────────────────────────────────────────────────────────────────────────────────

type Unit = Map<string, Map<string, string[]>>;

function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = unit.get(header[1]!) ?? new Map<string, string[]>();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 1) throw new Error(`not a unit-file line: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

// [Container] keys Quadlet understands (podman-systemd.unit(5)); a misspelt key makes the generator skip the unit.
const QUADLET_CONTAINER_KEYS = new Set(
  ('AddCapability AddDevice AddHost Annotation AutoUpdate CgroupsMode ContainerName ContainersConfModule DNS DNSOption ' +
    'DNSSearch DropCapability Entrypoint Environment EnvironmentFile EnvironmentHost Exec ExposeHostPort GIDMap ' +
    'GlobalArgs Group GroupAdd HealthCmd HealthInterval HealthLogDestination HealthMaxLogCount HealthMaxLogSize ' +
    'HealthOnFailure HealthRetries HealthStartPeriod HealthStartupCmd HealthStartupInterval HealthStartupRetries ' +
    'HealthStartupSuccess HealthStartupTimeout HealthTimeout HostName Image IP IP6 Label LogDriver LogOpt Mask Memory ' +
    'Mount Network NetworkAlias NoNewPrivileges Notify PidsLimit Pod PodmanArgs PublishPort Pull ReadOnly ReadOnlyTmpfs ' +
    'ReloadCmd ReloadSignal Retry RetryDelay Rootfs RunInit SeccompProfile Secret SecurityLabelDisable ' +
    'SecurityLabelFileType SecurityLabelLevel SecurityLabelNested SecurityLabelType ShmSize StartWithPod StopSignal ' +
    'StopTimeout SubGIDMap SubUIDMap Sysctl Timezone Tmpfs UIDMap Ulimit Unmask User UserNS Volume WorkingDir').split(' '),
);

function containerUnitProblems(text: string, volumeUnits: string[]): string[] {
  const problems: string[] = [];
  const container = parseUnit(text).get('Container');
  if (!container) return ['a [Container] section'];
  const values = (key: string) => container.get(key) ?? [];
  const value = (key: string) => values(key).at(-1);

  for (const key of container.keys()) if (!QUADLET_CONTAINER_KEYS.has(key)) problems.push(`a key Quadlet knows: ${key}`);
  if (value('ReadOnly') !== 'true') problems.push('ReadOnly=true');
  if (value('ReadOnlyTmpfs') === 'false') problems.push('ReadOnlyTmpfs left on (Quire needs a writable /tmp and /run)');
  if (!values('DropCapability').some((v) => v.toLowerCase().split(/\s+/).includes('all'))) problems.push('DropCapability=ALL');
  if (values('AddCapability').length > 0) problems.push('no AddCapability');
  if (value('NoNewPrivileges') !== 'true') problems.push('NoNewPrivileges=true');
  const user = value('User');
  if (user !== undefined && (!/^\d+$/.test(user) || user === '0')) problems.push(`User= numeric and not root (got ${user})`);

  // The key: a podman secret mounted as a file that QUIRE_SECRET_FILE names; never a value in the unit.
  const env = new Map(values('Environment').map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  if (env.has('QUIRE_SECRET') || env.has('QUIRE_SECRET_OLD')) problems.push('no key value in Environment=');
  const secret = values('Secret').map((s) => s.split(','));
  const mounted = secret.find(([, ...opts]) => opts.includes('type=mount'));
  const target = mounted?.find((o) => o.startsWith('target='))?.slice('target='.length);
  if (!mounted || !target) problems.push('Secret=<name>,type=mount,target=<file>');
  else if (env.get('QUIRE_SECRET_FILE') !== target) problems.push(`Environment=QUIRE_SECRET_FILE=${target}`);
  // With a read-only root, Podman 4 cannot mount a secret file below /run/secrets (containers/podman#15541).
  if (target?.startsWith('/run/secrets/')) problems.push('Secret target outside /run/secrets/ (read-only root)');

  const health = value('HealthCmd');
  if (!health || health === 'none' || !/^node\s/.test(health)) problems.push('HealthCmd= run by node');
  if (value('AutoUpdate') !== 'registry') problems.push('AutoUpdate=registry');
  // Auto-update can only check a fully qualified name: registry host, repository, tag.
  if (!/^([a-z0-9-]+\.)+[a-z0-9-]+(:\d+)?\/[a-z0-9._/-]+:[\w.-]+$/.test(value('Image') ?? '')) problems.push('Image= fully qualified with a tag');

  const ports = values('PublishPort');
  if (ports.length === 0 || !ports.every((p) => /^127\.0\.0\.1:\d+:8080$/.test(p))) problems.push('PublishPort=127.0.0.1:<port>:8080 only');
  const volume = values('Volume').find((v) => v.endsWith(':/data'));
  const volumeUnit = volume?.split(':')[0];
  if (!volumeUnit || !volumeUnits.includes(volumeUnit)) problems.push('Volume=<a .volume unit in deploy/>:/data');
  if (!/^https:\/\/[^/]+$/.test(env.get('PUBLIC_URL') ?? '')) problems.push('Environment=PUBLIC_URL=https://<host>');
  return problems;
}

// ── compose.yaml (development) ───────────────────────────────────────────────────────────────────────────────────

function composeProblems(text: string): string[] {
  const problems: string[] = [];
  if (!/^\s+read_only: true$/m.test(text)) problems.push('read_only: true');
  if (!/^\s+cap_drop:\n\s+- ALL$/m.test(text)) problems.push('cap_drop: [ALL]');
  if (!/no-new-privileges:true/.test(text)) problems.push('security_opt: no-new-privileges');
  if (/^\s+QUIRE_SECRET(_OLD)?:\s*(?!\$\{)\S/m.test(text)) problems.push('the key comes from the environment (.env), not the file');
  if (/^\s+- "?(\d+:)?\d+:8080"?$/m.test(text)) problems.push('ports bound to 127.0.0.1');
  return problems;
}

// ── The checks ───────────────────────────────────────────────────────────────────────────────────────────────────

const containerfile = read('Containerfile');
const unit = read('deploy/quire.container');
const compose = read('compose.yaml');
const volumeUnits = ['quire.volume'].filter((f) => existsSync(new URL(`deploy/${f}`, root)));

/** Replace exactly one occurrence, so a mutation test fails loudly when the file it mutates changes. */
function mutate(text: string, from: string | RegExp, to: string): string {
  const matches = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from, 'gm')) ?? []).length;
  if (matches !== 1) throw new Error(`mutation target ${String(from)} found ${matches} times`);
  return text.replace(from, to);
}

describe('Containerfile', () => {
  it('keeps every promise', () => {
    expect(containerfileProblems(containerfile)).toEqual([]);
  });

  it.each([
    ['a named user', /^USER .*$/m, 'USER node', 'numeric non-root USER'],
    ['root', /^USER .*$/m, 'USER 0:0', 'numeric non-root USER'],
    ['no user', /^USER .*$/m, '', 'numeric non-root USER'],
    ['a key in ENV', 'DATA_DIR=/data', 'DATA_DIR=/data QUIRE_SECRET=hunter2hunter2hunter2hunter2hunter2', 'no secret baked in: ENV QUIRE_SECRET'],
    ['a key as a build argument', 'ARG VERSION=', 'ARG QUIRE_SECRET=abc\nARG VERSION=', 'no secret baked in: ARG QUIRE_SECRET'],
    ['a key in a RUN', 'RUN install -d', 'RUN QUIRE_SECRET=abc node x && install -d', 'no secret baked in: RUN sets QUIRE_SECRET'],
    ['a key file copied in', 'COPY --from=build /app/package.json', 'COPY secret.key /app/\nCOPY --from=build /app/package.json', 'no secret baked in: COPY secret.key'],
    ['no health check', /^HEALTHCHECK [\s\S]*?\n\n/m, '\n', 'HEALTHCHECK in the runtime stage'],
    ['curl in the health check', '"node", "/app/healthcheck.mjs"', '"curl", "-f", "http://127.0.0.1:8080/healthz"', 'HEALTHCHECK in the runtime stage, run by node'],
    ['state outside /data', 'VOLUME ["/data"]', 'VOLUME ["/var/lib/quire"]', 'VOLUME /data'],
    ['another port', 'EXPOSE 8080', 'EXPOSE 3000', 'EXPOSE 8080'],
    ['development mode', 'NODE_ENV=production', 'NODE_ENV=development', 'ENV NODE_ENV=production'],
    ['the whole context copied', 'COPY --from=build /app/dist ./dist', 'COPY . .', 'runtime stage copies only from the build stage: COPY . .'],
    ['the whole context copied into the build', 'COPY src/ src/', 'COPY . .', 'no whole-context copy: COPY . .'],
    ['dev dependencies kept', /npm prune --omit=dev/, 'true', 'build stage prunes to production dependencies'],
    ['a single stage', /^FROM \$\{NODE_IMAGE\}$/m, '', 'multi-stage'],
    ['an unofficial base', 'ARG NODE_IMAGE=docker.io/library/node:24-bookworm-slim', 'ARG NODE_IMAGE=node:24-bookworm', 'official Node 24 slim base'],
    ['a missing label', 'org.opencontainers.image.revision=', 'org.example.revision=', 'LABEL org.opencontainers.image.revision'],
  ])('notices %s', (_, from, to, problem) => {
    const problems = containerfileProblems(mutate(containerfile, from, to));
    expect(problems.some((p) => p.startsWith(problem))).toBe(true);
  });

  it('leaves keys, local data and host dependencies out of the build context', () => {
    const ignored = read('.containerignore').split('\n').map((l) => l.trim());
    for (const entry of ['secret.key', '.env', 'data/', '*.db', 'node_modules/', 'dist/', '.git/']) expect(ignored).toContain(entry);
  });

  it('ships a health check script that asks /healthz', () => {
    expect(containerfile).toMatch(/^COPY --from=build \/app\/scripts\/healthcheck\.mjs \.\/healthcheck\.mjs$/m);
    expect(containerfile).toMatch(/^WORKDIR \/app$/m);
    expect(read('scripts/healthcheck.mjs')).toMatch(/fetch\(`http:\/\/127\.0\.0\.1:\$\{port\}\/healthz`/);
  });
});

describe('deploy/quire.container', () => {
  it('keeps every promise', () => {
    expect(containerUnitProblems(unit, volumeUnits)).toEqual([]);
  });

  it.each([
    ['a writable root', 'ReadOnly=true', 'ReadOnly=false', 'ReadOnly=true'],
    ['capabilities kept', 'DropCapability=ALL', 'DropCapability=CAP_NET_RAW', 'DropCapability=ALL'],
    ['a capability added', 'DropCapability=ALL', 'DropCapability=ALL\nAddCapability=CAP_SYS_ADMIN', 'no AddCapability'],
    ['setuid allowed', 'NoNewPrivileges=true', 'NoNewPrivileges=false', 'NoNewPrivileges=true'],
    ['root', 'User=1000', 'User=0', 'User= numeric'],
    ['the key as a value', 'Environment=TRUST_PROXY=true', 'Environment=TRUST_PROXY=true\nEnvironment=QUIRE_SECRET=hunter2', 'no key value'],
    ['no secret', /^Secret=.*$/m, '', 'Secret=<name>'],
    ['a secret file the app does not read', /^Environment=QUIRE_SECRET_FILE=.*$/m, 'Environment=QUIRE_SECRET_FILE=/run/other', 'Environment=QUIRE_SECRET_FILE'],
    ['no health check', /^HealthCmd=.*$/m, '', 'HealthCmd='],
    ['manual updates', /^AutoUpdate=registry$/m, 'AutoUpdate=local', 'AutoUpdate=registry'],
    ['a short image name', /^Image=.*$/m, 'Image=quire:latest', 'Image= fully qualified'],
    ['a port open to the world', 'PublishPort=127.0.0.1:8080:8080', 'PublishPort=8080:8080', 'PublishPort='],
    ['data outside the volume', 'Volume=quire.volume:/data', 'Volume=/srv/quire:/data', 'Volume='],
    ['a misspelt key', 'NoNewPrivileges=true', 'NoNewPrivileges=true\nReadonly=true', 'a key Quadlet knows: Readonly'],
  ])('notices %s', (_, from, to, problem) => {
    const problems = containerUnitProblems(mutate(unit, from, to), volumeUnits);
    expect(problems.some((p) => p.startsWith(problem))).toBe(true);
  });

  it('has a volume unit with a fixed name and starts at boot', () => {
    const volume = parseUnit(read('deploy/quire.volume'));
    expect(volume.get('Volume')?.get('VolumeName')).toEqual(['quire-data']);
    expect(parseUnit(unit).get('Install')?.get('WantedBy')).toEqual(['default.target']);
  });
});

describe('compose.yaml (development)', () => {
  it('runs the image as hardened as production', () => {
    expect(composeProblems(compose)).toEqual([]);
  });

  it.each([
    ['a writable root', 'read_only: true', 'read_only: false', 'read_only: true'],
    ['a key in the file', /QUIRE_SECRET: \$\{.*\}$/m, 'QUIRE_SECRET: hunter2hunter2hunter2hunter2hunter2', 'the key comes from the environment'],
    ['a port open to the network', '"127.0.0.1:8080:8080"', '"8080:8080"', 'ports bound to 127.0.0.1'],
  ])('notices %s', (_, from, to, problem) => {
    expect(composeProblems(mutate(compose, from, to)).some((p) => p.startsWith(problem))).toBe(true);
  });
});

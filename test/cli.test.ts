// The command line as a host runs it: the CLI compiled the way `npm run build` compiles it (tsc
// with tsconfig.build.json), run by plain node in its own process, on a real DATA_DIR, next to the
// compiled server in its own process where that matters (backups are taken while it serves and
// writes). It is compiled into a private folder rather than dist/: dist/ is rebuilt (deleted, then
// written) by every `npm test` on this machine, and a test must neither see it half-written nor
// test yesterday's build.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { insertUser } from '../src/db/users.js';
import { openDatabase, type Db } from '../src/db/database.js';
import { readTarGz } from '../src/lib/archive.js';
import { projectRoot } from '../src/lib/paths.js';
import { ghostExport } from './fixtures/ghost.js';
import { Client, manualClock, tempDir, testConfig, TEST_SECRET } from './helpers.js';

const root = projectRoot();
// Inside the project, so the compiled code finds package.json, migrations/ and node_modules/ as dist/ does.
const build = path.join(root, 'node_modules', '.cache', `quire-cli-test-${process.pid}`);
const CLI = path.join(build, 'src/cli.js');
const SERVER = path.join(build, 'src/server.js');

beforeAll(() => {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', build], {
    cwd: root,
    stdio: 'inherit',
  });
  if (!existsSync(CLI)) throw new Error(`compiling the CLI into ${build} produced no cli.js`);
});
afterAll(() => rmSync(build, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function env(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, DATA_DIR: dataDir, QUIRE_SECRET: TEST_SECRET, PUBLIC_URL: 'http://localhost:3000', QUIRE_LOG_REQUESTS: '0', ...extra };
}

function quire(dataDir: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: env(dataDir, options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Opens DATA_DIR's database for `use`, and closes it when `use` is done (also when it returns a promise). */
function withDb<T>(dataDir: string, use: (db: Db) => T): T {
  const db = openDatabase(path.join(dataDir, 'quire.db'));
  let result: T;
  try {
    result = use(db);
  } catch (error) {
    db.close();
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => db.close()) as T;
  db.close();
  return result;
}

const count = (db: Db, table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

/** A data folder with a database and one owner account, made by the CLI itself (invite creates and migrates). */
async function blogWithOwner(): Promise<string> {
  const dataDir = tempDir();
  expect((await quire(dataDir, ['invite'])).code).toBe(0);
  withDb(dataDir, (db) => insertUser(db, { username: 'olive-owl-1234', displayName: 'Olive Owner', role: 'owner', passwordHash: 'x', createdAt: 1 }));
  return dataDir;
}

describe('quire help and invite', () => {
  it('lists every command, and refuses an unknown one', async () => {
    const dataDir = tempDir();
    const help = await quire(dataDir, ['help']);
    expect(help.code).toBe(0);
    for (const command of ['invite [--owner]', 'recovery-link <username>', 'new-post --title', 'import ghost <export.json>|-', 'export <file.tar.gz>', 'backup <file.tar.gz>', 'restore <file.tar.gz>']) {
      expect(help.stdout).toContain(`\n  ${command}`);
    }
    expect(readdirSync(dataDir), 'help touches nothing').toEqual([]);
    const unknown = await quire(dataDir, ['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
  });

  it('prints working invite links, creating and migrating the database on first use', async () => {
    const dataDir = tempDir();
    const writer = await quire(dataDir, ['invite']);
    expect(writer.code).toBe(0);
    expect(writer.stdout).toMatch(/^http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]{27}\n$/);
    expect(writer.stderr).toMatch(/Database migrated from version 0 to \d+/);
    const owner = await quire(dataDir, ['invite', '--owner']);
    expect(owner.code).toBe(0);
    await withDb(dataDir, (db) => {
      expect(db.prepare('SELECT role FROM invites ORDER BY id').pluck().all()).toEqual(['writer', 'owner']);
      const app = createApp({ db, config: testConfig(dataDir), clock: manualClock(Date.now()) });
      return Promise.all([writer, owner].map(async (run) => expect((await app.request(run.stdout.trim())).status).toBe(200)));
    });
  });
});

describe('quire new-post', () => {
  it('creates a published post readers can open, or a draft, under the first owner’s byline', async () => {
    const empty = tempDir();
    const none = await quire(empty, ['new-post', '--title', 'Too early']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('This blog has no accounts yet');

    const dataDir = await blogWithOwner();
    const published = await quire(dataDir, ['new-post', '--title', 'Hello from the <CLI>', '--body', 'First & foremost.\n\nSecond paragraph.', '--tags', 'ops, notes', '--publish']);
    expect(published.code).toBe(0);
    expect(published.stdout).toBe('http://localhost:3000/posts/hello-from-the-cli\n');
    expect(published.stderr).toContain('Published: “Hello from the <CLI>” by Olive Owner.');
    const draft = await quire(dataDir, ['new-post', '--title', 'Piped', '--body', '-'], { input: 'From stdin.\n' });
    expect(draft.code).toBe(0);
    expect(draft.stdout).toMatch(/^http:\/\/localhost:3000\/write\/\d+\n$/);

    await withDb(dataDir, async (db) => {
      const app = createApp({ db, config: testConfig(dataDir), clock: manualClock(Date.now() + 1000) });
      const reader = new Client(app, 'http://localhost:3000');
      const page = await reader.get('/posts/hello-from-the-cli');
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Hello from the &lt;CLI&gt;');
      expect(html).toContain('<p>First &amp; foremost.</p><p>Second paragraph.</p>');
      expect(html).toContain('Olive Owner');
      expect((await reader.get('/posts/piped')).status).toBe(404);
      expect(db.prepare("SELECT status, html FROM posts WHERE slug = 'piped'").get()).toEqual({ status: 'draft', html: '<p>From stdin.</p>' });
      expect(db.prepare("SELECT t.name FROM tags t JOIN post_tags pt ON pt.tag_id = t.id ORDER BY pt.position").pluck().all()).toEqual(['ops', 'notes']);
      expect(count(db, 'revisions')).toBe(2);
    });

    const usage = await quire(dataDir, ['new-post', '--body', 'no title']);
    expect(usage.code).toBe(2);
    const unknownOption = await quire(dataDir, ['new-post', '--title', 'x', '--pubish']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("Unknown option '--pubish'");
    const nobody = await quire(dataDir, ['new-post', '--title', 'x', '--author', 'nobody-0000']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('No account has the username "nobody-0000"');
  });
});

describe('quire import ghost', () => {
  it('imports an export, reports it, adds nothing the second time, and refuses bad files unchanged', async () => {
    const dataDir = await blogWithOwner();
    const dir = tempDir();
    const file = path.join(dir, 'ghost.json');
    writeFileSync(file, JSON.stringify(ghostExport({ posts: 30, pages: 2, users: 2, tags: 3 })));
    const first = await quire(dataDir, ['import', 'ghost', file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Imported 30 posts and 2 pages \(28 published, 1 scheduled, 3 drafts\) in \d+\.\d s\.\n/);
    expect(first.stdout).toContain('New bylines (no account yet): Grace Hopper, Writer 2.');
    const after = withDb(dataDir, (db) => ({ posts: count(db, 'posts'), redirects: count(db, 'redirects'), authors: count(db, 'authors') }));
    expect(after.posts).toBe(32);

    // From stdin, as `podman exec -i quire … import ghost - < export.json` sends it.
    const second = await quire(dataDir, ['import', 'ghost', '-'], { input: readFileSync(file, 'utf8') });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('32 already imported before: left as they are.');

    const notJson = path.join(dir, 'notes.json');
    writeFileSync(notJson, 'not json');
    const huge = path.join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 51 * 1024 * 1024); // sparse: refused by its size, never read
    for (const [args, code, message] of [
      [['import', 'ghost', notJson], 1, /not valid JSON\b.*Nothing was imported\./s],
      [['import', 'ghost', huge], 1, /51\.0 MB; Quire imports Ghost exports of up to 50\.0 MB\. Nothing was imported\./],
      [['import', 'ghost', path.join(dir, 'missing.json')], 1, /does not exist/],
      [['import', 'ghost'], 2, /Usage: npm run quire -- import ghost <export\.json>\|-/],
      [['import', 'ghost', '-'], 1, /not a Ghost export: the file is not valid JSON/],
      [['import', 'wordpress', file], 2, /Ghost is the only source so far/],
      [['import', 'ghost', file, '--author', 'nobody-0000'], 1, /No account has the username/],
    ] as const) {
      const run = await quire(dataDir, [...args]);
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
    expect(withDb(dataDir, (db) => ({ posts: count(db, 'posts'), redirects: count(db, 'redirects'), authors: count(db, 'authors') }))).toEqual(after);
  });
});

describe('quire export', () => {
  it('writes every post as Markdown with front matter and HTML, plus blog.json, and never overwrites', async () => {
    const dataDir = await blogWithOwner();
    await quire(dataDir, ['new-post', '--title', 'Exported', '--body', 'Text *with* stars.', '--publish']);
    await quire(dataDir, ['new-post', '--title', 'Draft too']);
    const file = path.join(tempDir(), 'out', 'blog.tar.gz');
    mkdirSync(path.dirname(file));
    const run = await quire(dataDir, ['export', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${file}\n`);
    expect(run.stderr).toMatch(/Exported 2 posts, 0 pages and 0 in the trash/);
    const entries = readTarGz(readFileSync(file));
    const folder = entries[0]!.name.split('/')[0]!;
    expect(folder).toMatch(/^quire-export-\d{4}-\d{2}-\d{2}$/);
    const names = entries.map((e) => e.name.slice(folder.length + 1));
    expect(names).toEqual(['README.txt', 'blog.json', 'posts/exported.md', 'posts/exported.html', 'posts/draft-too.md', 'posts/draft-too.html']);
    const md = entries.find((e) => e.name.endsWith('posts/exported.md'))!.data.toString('utf8');
    expect(md).toMatch(/^---\ntitle: "Exported"\n[\s\S]*\nauthor: "Olive Owner"\n[\s\S]*\n---\n\nText \\\*with\\\* stars\.\n$/);
    const blog = JSON.parse(entries.find((e) => e.name.endsWith('blog.json'))!.data.toString('utf8')) as { posts: { title: string; status: string }[] };
    expect(blog.posts.map((p) => [p.title, p.status])).toEqual([
      ['Exported', 'published'],
      ['Draft too', 'draft'],
    ]);

    const again = await quire(dataDir, ['export', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(readFileSync(file).length).toBe(statSync(file).size);
  });
});

// ── Backup and restore next to a running server ─────────────────────────────────────────────

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const servers: ChildProcess[] = [];
afterAll(() => {
  for (const server of servers) server.kill('SIGKILL');
});

/** The built server on a free port; resolves with its origin once it listens. */
async function startServer(dataDir: string): Promise<{ origin: string; process: ChildProcess }> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [SERVER], { cwd: root, env: env(dataDir, { PORT: String(port), PUBLIC_URL: origin }), stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Quire is listening')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${output}`)));
  });
  return { origin, process: child };
}

function stopServer(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('quire backup and restore', () => {
  it('backs up while the server serves and writes, and restores into an empty DATA_DIR only', async () => {
    const dataDir = tempDir();
    const server = await startServer(dataDir);
    const link = (await quire(dataDir, ['invite', '--owner'], { env: { PUBLIC_URL: server.origin } })).stdout.trim();
    const headers = { origin: server.origin };
    const enrolled = await fetch(link, { method: 'POST', headers, body: new URLSearchParams({ display_name: 'Olive Owner' }) });
    expect(enrolled.status).toBe(200);
    const cookie = enrolled.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    mkdirSync(path.join(dataDir, 'media'));
    writeFileSync(path.join(dataDir, 'media', 'a1b2c3.jpg'), Buffer.alloc(50_000, 7));

    // A writer keeps saving over HTTP, each save a new post with text, for as long as the backup runs.
    let writing = true;
    const writes = (async () => {
      let saved = 0;
      while (writing) {
        const created = await fetch(`${server.origin}/write/new`, { method: 'POST', headers: { ...headers, cookie }, redirect: 'manual' });
        const id = created.headers.get('location')!.split('/').pop();
        const save = await fetch(`${server.origin}/api/posts/${id}`, {
          method: 'POST',
          headers: { ...headers, cookie, 'content-type': 'application/json' },
          body: JSON.stringify({ baseRevision: 1, title: `Busy ${saved}`, html: `<p>${'words '.repeat(300)}${saved}</p>` }),
        });
        expect(save.status).toBe(200);
        saved += 1;
      }
      return saved;
    })();
    while (withDb(dataDir, (db) => count(db, 'posts')) < 20) await new Promise((r) => setTimeout(r, 20));

    const file = path.join(tempDir(), 'quire.tar.gz');
    const before = withDb(dataDir, (db) => count(db, 'posts'));
    const backup = await quire(dataDir, ['backup', file]);
    const afterBackup = withDb(dataDir, (db) => count(db, 'posts'));
    writing = false;
    expect(await writes).toBeGreaterThan(20);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toBe(`${file}\n`);
    expect(backup.stderr).toMatch(/Backup written: \d+\.\d MB, database version \d+, 1 uploaded file, in \d+\.\d s\./);
    expect(backup.stderr).toContain('The key (QUIRE_SECRET or QUIRE_SECRET_FILE) is not in the backup');
    expect(await stopServer(server.process)).toBe(0);

    // Into a DATA_DIR that is not there yet.
    const restoredDir = path.join(tempDir(), 'restored');
    const restore = await quire(restoredDir, ['restore', file]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stderr).toMatch(/Restored into .*restored: database version \d+, 1 uploaded file\./);
    expect(readdirSync(restoredDir).sort()).toEqual(['media', 'quire.db']);
    withDb(restoredDir, (db) => {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const posts = count(db, 'posts');
      expect(posts).toBeGreaterThanOrEqual(before);
      expect(posts).toBeLessThanOrEqual(afterBackup);
      // Every post in the copy is whole: its text is its newest history entry's (or empty, for a post just created).
      const torn = `SELECT count(*) FROM posts p
        WHERE html IS NOT coalesce((SELECT html FROM revisions r WHERE r.post_id = p.id ORDER BY saved_at DESC, id DESC LIMIT 1), '')`;
      expect(db.prepare(torn).pluck().get()).toBe(0);
      expect(count(db, 'sessions')).toBe(1);
      expect(count(db, 'users')).toBe(1);
    });
    // The restored blog starts, and the owner's browser is still signed in there.
    const restored = await startServer(restoredDir);
    const dashboard = await fetch(`${restored.origin}/write`, { headers: { cookie }, redirect: 'manual' });
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain('Busy 0');
    expect(await stopServer(restored.process)).toBe(0);

    // Refused: a DATA_DIR with anything in it (the restored one, now a running blog's), and a damaged archive.
    const notEmpty = await quire(restoredDir, ['restore', file]);
    expect(notEmpty.code).toBe(1);
    expect(notEmpty.stderr).toContain('Nothing was restored: DATA_DIR');
    expect(notEmpty.stderr).toContain('is not empty');
    const damaged = path.join(tempDir(), 'damaged.tar.gz');
    writeFileSync(damaged, readFileSync(file).subarray(0, 4096));
    const emptyDir = tempDir();
    const bad = await quire(emptyDir, ['restore', damaged]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Nothing was restored: this file is not a Quire backup, or it is damaged/);
    expect(readdirSync(emptyDir), 'no key, database or anything else was created').toEqual([]);
    const usage = await quire(emptyDir, ['restore']);
    expect(usage.code).toBe(2);
    expect(readdirSync(emptyDir)).toEqual([]);
  });
});

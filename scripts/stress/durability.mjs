// Durability: saves and status changes the server acknowledged survive SIGKILL at random
// moments; a backup taken while writes continue opens, passes integrity_check and is a
// consistent snapshot.
import Database from 'better-sqlite3';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  HttpClient,
  QuireServer,
  cliInvite,
  enrolAccount,
  freePort,
  newDraft,
  rng,
  sleep,
  summarize,
  table,
  takeBackup,
  tempDir,
  verdict,
  withTempDirs,
} from './lib.mjs';

const WORDS = 'the quick brown fox jumps over a lazy dog while writers keep drafting their careful sentences about rivers mountains and cities'.split(' ');

/** Editor HTML the sanitizer leaves exactly as it is, a few KB like a real draft. */
function draftHtml(random, n) {
  const paragraphs = [];
  const count = random.int(3, 12);
  for (let p = 0; p < count; p++) {
    const words = Array.from({ length: random.int(20, 80) }, () => random.pick(WORDS));
    paragraphs.push(`<p>Save ${n}, paragraph ${p + 1}: ${words.join(' ')} <strong>${random.pick(WORDS)}</strong>.</p>`);
  }
  return paragraphs.join('');
}

/** SIGKILLs the server at random moments and restarts it, until told to stop. */
function startKiller(server, random, { minMs, maxMs }, afterRestart) {
  const state = { stop: false, kills: 0, restartMs: [], errors: [] };
  state.done = (async () => {
    // Stopped by its phase; the count only guards against a phase that never says so.
    while (!state.stop && state.kills < 10_000) {
      await sleep(random.int(minMs, maxMs));
      if (state.stop) break;
      await server.stop('SIGKILL');
      state.kills++;
      try {
        state.restartMs.push(await server.start());
        await afterRestart();
      } catch (error) {
        state.errors.push(String(error.message ?? error));
        state.stop = true;
      }
    }
  })();
  return state;
}

function openDb(file, readonly = true) {
  return new Database(file, { readonly, fileMustExist: true });
}

/** Phase 1: one draft autosaved `saves` times, each naming the last acknowledged revision. */
async function autosaveUnderKills(ctx) {
  const { server, client, random, options, deadline } = ctx;
  const id = await newDraft(client);
  const probe = async () => {
    // A save naming no real revision is refused with the current version and changes nothing.
    const r = await client.json(`/api/posts/${id}`, { baseRevision: -1, title: 'probe', html: '' });
    return r.status === 409 ? JSON.parse(r.body).current : null;
  };

  const acked = new Map(); // revision → title the server acknowledged for it
  let lastAck = { revision: 1, title: '', html: '' };
  let committedUnacked = 0;
  const stats = { acks: 0, attempts: 0, networkErrors: 0, fiveXX: 0, other: [], lost: [], restartChecks: 0, restartLost: 0, latencies: [] };

  const killer = startKiller(server, random, options.kill, async () => {
    const known = lastAck; // acknowledged before the check was sent: must be there
    const current = await probe();
    if (!current) return;
    stats.restartChecks++;
    if (current.revision < known.revision || (current.revision === known.revision && current.title !== known.title)) {
      stats.restartLost++;
      stats.lost.push({ expected: known.revision, found: current.revision, at: 'restart' });
    }
  });

  let base = 1;
  try {
    // Until the target is acknowledged and the server has been killed often enough to mean something.
    const enough = () => stats.acks >= options.saves && killer.kills >= options.minKills;
    const maxAttempts = Math.max(options.saves, 100) * 50;
    for (let n = 1; !enough() && performance.now() < deadline && stats.attempts < maxAttempts; n++) {
      const title = `Durability draft, save ${n}`;
      const html = draftHtml(random, n);
      for (;;) {
        if (performance.now() > deadline || killer.errors.length || stats.attempts >= maxAttempts) break;
        stats.attempts++;
        const r = await client.json(`/api/posts/${id}`, { baseRevision: base, title, html });
        if (r.status === 200) {
          const post = JSON.parse(r.body).post;
          stats.acks++;
          stats.latencies.push(r.ms);
          base = post.revision;
          lastAck = { revision: post.revision, title: post.title, html: post.html };
          acked.set(post.revision, post.title);
          break;
        }
        if (r.status === 409) {
          // Our previous attempt committed, but the answer died with the server: the editor
          // sees its own text in the conflict and carries on from it.
          const current = JSON.parse(r.body).current;
          if (current.title === title) {
            committedUnacked++;
            base = current.revision;
            acked.set(current.revision, current.title);
          } else {
            stats.lost.push({ expected: lastAck.revision, found: current.revision, foundTitle: current.title, at: 'conflict' });
            base = current.revision;
          }
          break;
        }
        if (r.status === 0) {
          stats.networkErrors++;
          await sleep(3);
          continue;
        }
        if (r.status >= 500) {
          stats.fiveXX++;
          await sleep(3);
          continue;
        }
        stats.other.push(`${r.status} ${r.body.slice(0, 200)}`);
        await sleep(3);
        if (stats.other.length > 20) throw new Error(`unexpected answers to saves: ${stats.other.slice(0, 3).join(' | ')}`);
      }
    }
  } finally {
    killer.stop = true;
    await killer.done;
  }
  // The last crash: whatever was acknowledged must be in the file.
  await server.stop('SIGKILL');
  const db = openDb(path.join(server.dataDir, 'quire.db'), false);
  const row = db.prepare('SELECT revision, title, html FROM posts WHERE id = ?').get(id);
  const history = db.prepare('SELECT title, html FROM revisions WHERE post_id = ? ORDER BY saved_at DESC, id DESC LIMIT 1').get(id);
  const integrity = db.pragma('integrity_check', { simple: true });
  db.close();
  const finalOk = row.revision === lastAck.revision ? row.title === lastAck.title && row.html === lastAck.html : row.revision > lastAck.revision && acked.get(row.revision) === row.title;
  await server.start();
  return {
    draftId: id,
    acknowledged: stats.acks,
    committedWithoutAnswer: committedUnacked,
    attempts: stats.attempts,
    kills: killer.kills,
    restartMs: summarize(killer.restartMs),
    killerErrors: killer.errors,
    networkErrors: stats.networkErrors,
    fiveXX: stats.fiveXX,
    unexpected: stats.other,
    restartChecks: stats.restartChecks,
    lostAtRestart: stats.restartLost,
    lost: stats.lost,
    saveMs: summarize(stats.latencies),
    lastAcknowledged: { revision: lastAck.revision, title: lastAck.title },
    found: { revision: row.revision, title: row.title, htmlMatches: row.html === lastAck.html, historyMatches: history?.html === row.html },
    integrity,
    ok:
      finalOk &&
      stats.lost.length === 0 &&
      stats.fiveXX === 0 &&
      integrity === 'ok' &&
      killer.errors.length === 0 &&
      stats.acks >= options.saves &&
      killer.kills >= options.minKills,
  };
}

/** Phase 2: publish/unpublish toggled `toggles` times under the same random kills. */
async function publishingUnderKills(ctx) {
  const { server, client, random, options, deadline } = ctx;
  const id = await newDraft(client);
  const saved = await client.json(`/api/posts/${id}`, { baseRevision: 1, title: `Publishing under fire ${random.int(1, 1e9)}`, html: '<p>Now you see me.</p>' });
  if (saved.status !== 200) throw new Error(`could not save the publishing post: ${saved.status}`);
  const slug = JSON.parse(saved.body).post.slug;

  let lastAck = 'draft';
  let inFlight = null;
  let ackCount = 0;
  const stats = { acks: 0, attempts: 0, networkErrors: 0, fiveXX: 0, other: [], restartChecks: 0, inconclusive: 0, lost: [], latencies: [] };
  const killer = startKiller(server, random, options.kill, async () => {
    const before = { ackCount, lastAck, inFlight };
    const r = await client.get(`/posts/${encodeURIComponent(slug)}`);
    if (r.status !== 200 && r.status !== 404) return;
    if (ackCount !== before.ackCount || inFlight !== before.inFlight) {
      stats.inconclusive++;
      return;
    }
    stats.restartChecks++;
    const found = r.status === 200 ? 'published' : 'draft';
    if (found !== before.lastAck && found !== before.inFlight) stats.lost.push({ expected: before.lastAck, found, at: 'restart' });
  });
  try {
    const enough = () => stats.acks >= options.toggles && killer.kills >= options.minKills;
    const maxAttempts = Math.max(options.toggles, 100) * 100;
    for (let n = 1; !enough() && performance.now() < deadline && stats.attempts < maxAttempts; n++) {
      const target = lastAck === 'draft' ? 'published' : 'draft';
      inFlight = target;
      for (;;) {
        if (performance.now() > deadline || killer.errors.length || stats.attempts >= maxAttempts) break;
        stats.attempts++;
        const r = await client.form(`/write/${id}/${target === 'published' ? 'publish' : 'unpublish'}`);
        if (r.status === 303) {
          stats.acks++;
          stats.latencies.push(r.ms);
          lastAck = target;
          ackCount++;
          break;
        }
        if (r.status === 0) {
          stats.networkErrors++;
          await sleep(3);
          continue;
        }
        if (r.status >= 500) stats.fiveXX++;
        else stats.other.push(`${r.status}`);
        await sleep(3);
        if (stats.other.length > 20) throw new Error(`unexpected answers to publish: ${stats.other.slice(0, 5).join(' ')}`);
      }
      inFlight = null;
    }
  } finally {
    killer.stop = true;
    await killer.done;
  }
  await server.stop('SIGKILL');
  const db = openDb(path.join(server.dataDir, 'quire.db'), false);
  const row = db.prepare('SELECT status, published_at FROM posts WHERE id = ?').get(id);
  db.close();
  await server.start();
  const publicAnswer = (await client.get(`/posts/${encodeURIComponent(slug)}`)).status;
  const foundOk = row.status === lastAck && (lastAck === 'published') === (publicAnswer === 200) && (lastAck !== 'published' || row.published_at !== null);
  return {
    postId: id,
    acknowledged: stats.acks,
    attempts: stats.attempts,
    kills: killer.kills,
    killerErrors: killer.errors,
    networkErrors: stats.networkErrors,
    fiveXX: stats.fiveXX,
    unexpected: stats.other,
    restartChecks: stats.restartChecks,
    restartChecksInconclusive: stats.inconclusive,
    lost: stats.lost,
    toggleMs: summarize(stats.latencies),
    lastAcknowledged: lastAck,
    found: row.status,
    publicPage: publicAnswer,
    ok: foundOk && stats.lost.length === 0 && stats.fiveXX === 0 && killer.errors.length === 0 && stats.acks >= options.toggles && killer.kills >= options.minKills,
  };
}

/** The files of a .tar (ustar/pax, as Node's or GNU tar writes them), by name. */
function untar(buffer) {
  const files = new Map();
  let offset = 0;
  let longName = null;
  while (offset + 512 <= buffer.length) {
    const header = buffer.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start, length) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    let name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const data = buffer.subarray(offset + 512, offset + 512 + size);
    if (type === 'x') {
      const match = data.toString('utf8').match(/\d+ path=([^\n]*)\n/);
      if (match) longName = match[1];
    } else if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
    } else {
      if (longName) name = longName;
      longName = null;
      if (type === '0' || type === '') files.set(name, data);
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** The SQLite file inside whatever the backup command wrote (a bare file or a .tar.gz). */
function databaseFromBackup(file, workDir) {
  const bytes = readFileSync(file);
  if (bytes.subarray(0, 16).toString('latin1') === 'SQLite format 3\0') return { file, format: 'sqlite' };
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const files = untar(gunzipSync(bytes));
    const name = [...files.keys()].find((n) => n === 'quire.db' || n.endsWith('/quire.db'));
    if (!name) throw new Error(`no quire.db in the backup archive (it holds: ${[...files.keys()].join(', ')})`);
    const out = path.join(workDir, `from-archive-${path.basename(file)}.db`);
    writeFileSync(out, files.get(name));
    return { file: out, format: 'tar.gz', entries: [...files.keys()] };
  }
  throw new Error(`unrecognised backup format (first bytes ${bytes.subarray(0, 8).toString('hex')})`);
}

/** Phase 3: backups taken while a writer keeps saving, each checked for integrity and consistency. */
async function backupDuringWrites(ctx) {
  const { server, client, random, options, build, deadline } = ctx;
  const id = await newDraft(client);
  let base = 1;
  const acked = new Map();
  let lastAck = { revision: 1 };
  let inFlightTitle = null;
  let stop = false;
  const writeStats = { saves: 0, drafts: 0, fiveXX: 0, other: [] };
  const writer = (async () => {
    for (let n = 1; !stop && n < 1_000_000 && performance.now() < deadline; n++) {
      const title = `Backup draft, save ${n}`;
      inFlightTitle = title;
      const r = await client.json(`/api/posts/${id}`, { baseRevision: base, title, html: draftHtml(random, n) });
      if (r.status === 200) {
        const post = JSON.parse(r.body).post;
        base = post.revision;
        acked.set(post.revision, post.title);
        lastAck = { revision: post.revision, title: post.title };
        writeStats.saves++;
      } else if (r.status >= 500 || r.status === 0) writeStats.fiveXX++;
      else writeStats.other.push(r.status);
      // Other tables change too: a new draft now and then.
      if (n % 25 === 0) {
        await newDraft(client);
        writeStats.drafts++;
      }
    }
  })();

  const results = [];
  const workDir = tempDir('quire-stress-backups-');
  let method = null;
  try {
    await sleep(500);
    for (let b = 0; b < options.backups && performance.now() < deadline; b++) {
      const before = lastAck.revision;
      const started = performance.now();
      const result = { backup: b + 1, revisionBefore: before };
      try {
        const taken = await takeBackup(build, server.env, server.dataDir, path.join(workDir, `backup-${b + 1}`));
        method = taken.method;
        result.ms = Math.round(performance.now() - started);
        result.revisionAfter = lastAck.revision;
        const { file, format } = databaseFromBackup(taken.file, workDir);
        // Work on a copy: integrity checks of FTS need a writable database, and the backup stays untouched.
        const copy = path.join(workDir, `check-${b + 1}.db`);
        copyFileSync(file, copy);
        const db = openDb(copy, false);
        result.format = format;
        result.integrity = db.pragma('integrity_check', { simple: true });
        result.foreignKeyProblems = db.pragma('foreign_key_check').length;
        try {
          db.prepare("INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')").run();
          result.searchIndex = 'ok';
        } catch (error) {
          result.searchIndex = error.message;
        }
        const row = db.prepare('SELECT revision, title FROM posts WHERE id = ?').get(id);
        const history = db.prepare('SELECT title FROM revisions WHERE post_id = ? ORDER BY saved_at DESC, id DESC LIMIT 1').get(id);
        result.revisionInBackup = row?.revision ?? null;
        // A snapshot, not a mixture: the draft is at a revision the server acknowledged (or was
        // committing) during the backup, with that revision's own title, in posts and in history alike.
        const expectedTitle = acked.get(row?.revision) ?? inFlightTitle;
        result.consistent =
          !!row && row.revision >= before && row.revision <= result.revisionAfter + 1 && row.title === expectedTitle && history?.title === row.title;
        db.close();
      } catch (error) {
        result.error = String(error.message ?? error).slice(0, 500);
        result.consistent = false;
      }
      result.ok = result.integrity === 'ok' && result.foreignKeyProblems === 0 && result.searchIndex === 'ok' && result.consistent === true;
      results.push(result);
      await sleep(300);
    }
  } finally {
    stop = true;
    await writer;
  }
  return {
    method: method ?? 'none (no backup was taken)',
    writes: writeStats,
    backups: results,
    ok: results.length === options.backups && results.every((r) => r.ok) && writeStats.fiveXX === 0,
  };
}

export async function durability(options, build) {
  return withTempDirs(async () => {
    const random = rng(options.seed);
    const dataDir = tempDir('quire-stress-durability-');
    const port = await freePort();
    const server = new QuireServer({ build, dataDir, port });
    await server.start();
    const client = new HttpClient(server.base);
    // After the first start: an empty blog's first start revokes earlier setup invites.
    await enrolAccount(client, await cliInvite(build, server.env, 'owner'), 'Durable Writer');
    const deadline = performance.now() + options.maxMinutes * 60_000;
    const ctx = { server, client, random, options, build, deadline };
    try {
      const saves = await autosaveUnderKills(ctx);
      const publishing = await publishingUnderKills(ctx);
      const backup = await backupDuringWrites(ctx);
      const busy = /SQLITE_BUSY|database is locked/i.test(server.stderr);
      const figures = { saves, publishing, backup, serverStarts: server.starts, serverStderrErrors: (server.stderr.match(/Error/g) ?? []).length, busyInStderr: busy };
      const yes = (b) => (b ? 'yes' : 'NO');
      const lines = [
        table('Durability: autosave under SIGKILL', [
          ['measure', 'value'],
          ['saves acknowledged', saves.acknowledged],
          ['committed, answer lost in the crash', saves.committedWithoutAnswer],
          ['save attempts (incl. retries)', saves.attempts],
          ['SIGKILLs / restarts', saves.kills],
          ['restart to first 200 p50 / max (ms)', `${saves.restartMs.p50} / ${saves.restartMs.max}`],
          ['checks after restarts (acknowledged found)', `${saves.restartChecks - saves.lostAtRestart} / ${saves.restartChecks}`],
          ['last acknowledged revision', saves.lastAcknowledged.revision],
          ['revision found in the file', saves.found.revision],
          ['final text = last acknowledged', yes(saves.found.htmlMatches && saves.found.title === saves.lastAcknowledged.title)],
          ['history holds the final text', yes(saves.found.historyMatches)],
          ['lost acknowledged saves', saves.lost.length],
          ['5xx answers', saves.fiveXX],
          ['save p50 / p99 (ms)', `${saves.saveMs.p50} / ${saves.saveMs.p99}`],
          ['integrity_check after all crashes', saves.integrity],
        ]),
        table('Durability: publish/unpublish under SIGKILL', [
          ['measure', 'value'],
          ['status changes acknowledged', publishing.acknowledged],
          ['SIGKILLs / restarts', publishing.kills],
          ['checks after restarts (state found)', `${publishing.restartChecks - publishing.lost.length} / ${publishing.restartChecks}`],
          ['last acknowledged state', publishing.lastAcknowledged],
          ['state found in the file', publishing.found],
          ['public page answers', publishing.publicPage],
          ['lost status changes', publishing.lost.length],
          ['5xx answers', publishing.fiveXX],
        ]),
        table(`Durability: backups during writes (${backup.method})`, [
          ['backup', 'ms', 'format', 'integrity', 'FKs', 'search index', 'rev before..after', 'rev in backup', 'consistent'],
          ...backup.backups.map((b) => [
            b.backup,
            b.ms,
            b.format ?? b.error,
            b.integrity,
            b.foreignKeyProblems,
            b.searchIndex,
            `${b.revisionBefore}..${b.revisionAfter}`,
            b.revisionInBackup,
            yes(b.consistent),
          ]),
        ]),
      ];
      console.log(lines.join('\n'));
      console.log(`\nwrites during backups: ${backup.writes.saves} saves, ${backup.writes.drafts} new drafts, ${backup.writes.fiveXX} failed; SQLITE_BUSY in server stderr: ${busy ? 'YES' : 'none'}`);
      const summary = [
        verdict(
          'autosaves acknowledged; last acknowledged revision / found in the file',
          `${saves.acknowledged}; ${saves.lastAcknowledged.revision} / ${saves.found.revision}${saves.found.htmlMatches ? ' (same text)' : ' (TEXT DIFFERS)'}, ${saves.lost.length} lost`,
          `≥ ${options.saves}, none lost`,
          saves.ok,
        ),
        verdict('SIGKILLs during autosaves', saves.kills, `≥ ${options.minKills}`, saves.kills >= options.minKills),
        verdict(
          'publish/unpublish acknowledged; last acknowledged state / found',
          `${publishing.acknowledged}; ${publishing.lastAcknowledged} / ${publishing.found} (public page ${publishing.publicPage}), ${publishing.lost.length} lost`,
          `≥ ${options.toggles}, none lost`,
          publishing.ok,
        ),
        verdict('SIGKILLs during publishing', publishing.kills, `≥ ${options.minKills}`, publishing.kills >= options.minKills),
        verdict('backups during writes: consistent / taken', `${backup.backups.filter((b) => b.ok).length} / ${backup.backups.length}`, `${options.backups}, all consistent`, backup.ok),
        verdict('SQLITE_BUSY in server stderr', busy ? 'yes' : 'none', 'none', !busy),
      ];
      return { ok: saves.ok && publishing.ok && backup.ok && !busy, figures, summary };
    } finally {
      client.close();
      await server.stop('SIGTERM');
    }
  });
}

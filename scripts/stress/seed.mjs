// Fills a migrated Quire database with a blog's worth of posts, fast: direct SQL in one
// transaction, in its own process. Sizes follow a real blog: posts of a few hundred to a couple
// of thousand words, each with a history of drafts that grew towards the final text.
//
//   node scripts/stress/seed.mjs <DATA_DIR> <posts> <revisions> [random-seed]
//
// Prints one JSON line: what was made and how long it took.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import process from 'node:process';
import { rng } from './lib.mjs';

const [dataDir, postsArg, revisionsArg, seedArg] = process.argv.slice(2);
if (!dataDir || !postsArg || !revisionsArg) {
  console.error('usage: node scripts/stress/seed.mjs <DATA_DIR> <posts> <revisions> [random-seed]');
  process.exit(2);
}
const POSTS = Number(postsArg);
const REVISIONS = Number(revisionsArg);
const random = rng(Number(seedArg ?? 1));

// A vocabulary with a natural (Zipf-like) spread: a few words in nearly every post, most rare.
const SYLLABLES = ['ka', 'lo', 'mi', 'ter', 'san', 'dor', 'vel', 'ri', 'no', 'pla', 'ske', 'tu', 'bran', 'cel', 'fi', 'gor', 'hu', 'jas', 'que', 'zen'];
const VOCABULARY = [];
for (let i = 0; VOCABULARY.length < 5000; i++) {
  let word = '';
  let n = i;
  do {
    word += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  } while (n > 0);
  VOCABULARY.push(word);
}
const word = () => VOCABULARY[Math.min(VOCABULARY.length - 1, Math.floor(Math.exp(random() * Math.log(VOCABULARY.length + 1))) - 1)];
const words = (n) => Array.from({ length: n }, word).join(' ');
const capital = (s) => s[0].toUpperCase() + s.slice(1);

/** Paragraphs of HTML (as the sanitizer would leave them) and the same as plain text. */
function body(wordCount) {
  const paragraphs = [];
  let left = wordCount;
  while (left > 0) {
    const n = Math.min(left, random.int(30, 120));
    left -= n;
    paragraphs.push(capital(words(n)) + '.');
  }
  const html = paragraphs
    .map((p, i) => (i % 5 === 3 ? `<h2>${p.slice(0, 40)}</h2>` : i % 7 === 2 ? `<p><strong>${p}</strong></p>` : `<p>${p}</p>`))
    .join('');
  return { html, text: paragraphs.join('\n\n') };
}

const db = new Database(path.join(dataDir, 'quire.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
db.pragma('cache_size = -262144');
db.pragma('foreign_keys = ON');
if (db.pragma('user_version', { simple: true }) < 2) throw new Error('The database is not migrated: run the CLI on it first.');

const started = performance.now();
const DAY = 86_400_000;
const now = Date.now();
let revisionCount = 0;

db.transaction(() => {
  const authorIds = [];
  const users = db.prepare('SELECT id, display_name FROM users').all();
  const insertAuthor = db.prepare('INSERT INTO authors (user_id, name, slug) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  for (const user of users) {
    insertAuthor.run(user.id, user.display_name, `writer-${user.id}`);
  }
  for (let i = 0; i < 5; i++) insertAuthor.run(null, `${capital(word())} ${capital(word())}`, `guest-author-${i}`);
  for (const row of db.prepare('SELECT id FROM authors').all()) authorIds.push(row.id);

  const tagIds = [];
  const insertTag = db.prepare('INSERT INTO tags (name, slug) VALUES (?, ?) ON CONFLICT (slug) DO NOTHING');
  for (let i = 0; i < 60; i++) insertTag.run(capital(VOCABULARY[i * 7]), `topic-${VOCABULARY[i * 7]}`);
  for (const row of db.prepare('SELECT id FROM tags').all()) tagIds.push(row.id);

  const insertPost = db.prepare(
    `INSERT INTO posts (uid, type, author_id, title, slug, excerpt, html, text, word_count, status, revision, created_at, updated_at, published_at)
     VALUES (?, 'post', ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertRevision = db.prepare(
    'INSERT INTO revisions (post_id, user_id, title, html, word_count, started_at, saved_at) VALUES (?, NULL, ?, ?, ?, ?, ?)',
  );
  const insertPostTag = db.prepare('INSERT OR IGNORE INTO post_tags (post_id, tag_id, position) VALUES (?, ?, ?)');

  // Revisions spread evenly, the remainder to the first posts.
  const perPost = Math.floor(REVISIONS / POSTS);
  const extra = REVISIONS % POSTS;
  for (let i = 0; i < POSTS; i++) {
    const title = capital(words(random.int(3, 9)));
    const wordCount = Math.round(Math.exp(5.5 + random() * 2.3)); // ~250 to ~2,400 words
    const { html, text } = body(wordCount);
    // Ten years of writing, newest last; 90% published.
    const publishedAt = now - Math.floor(((POSTS - i) / POSTS) * 3650 * DAY) - random.int(0, DAY);
    const published = random() < 0.9;
    const revisions = perPost + (i < extra ? 1 : 0);
    const createdAt = publishedAt - random.int(1, 30) * DAY;
    const result = insertPost.run(
      randomUUID(),
      random.pick(authorIds),
      title,
      `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 70)}-${i + 1}`,
      html,
      text,
      wordCount,
      published ? 'published' : 'draft',
      revisions + 1,
      createdAt,
      publishedAt,
      published ? publishedAt : null,
    );
    const postId = Number(result.lastInsertRowid);
    // The history: drafts that grew towards the final text, then the final one.
    for (let r = 1; r <= revisions; r++) {
      const share = html.slice(0, Math.max(20, Math.floor((html.length * r) / revisions)));
      const at = createdAt + Math.floor(((publishedAt - createdAt) * r) / (revisions + 1));
      insertRevision.run(postId, title, share, Math.floor((wordCount * r) / revisions), at, at);
      revisionCount++;
    }
    const tagCount = random.int(0, 3);
    for (let t = 0; t < tagCount; t++) insertPostTag.run(postId, random.pick(tagIds), t);
  }
})();
db.pragma('wal_checkpoint(TRUNCATE)');
const posts = db.prepare('SELECT count(*) FROM posts').pluck().get();
const published = db.prepare("SELECT count(*) FROM posts WHERE status = 'published'").pluck().get();
const revisions = db.prepare('SELECT count(*) FROM revisions').pluck().get();
db.close();
console.log(JSON.stringify({ posts, published, revisions, revisionsAdded: revisionCount, ms: Math.round(performance.now() - started) }));

// Test data for the reading side: writers and posts made through the same db functions the
// writing side uses, so what readers see is exactly what a writer's save would store.
import { execFileSync } from 'node:child_process';
import type { Db } from '../src/db/database.js';
import {
  authorForUser,
  createDraft,
  getPost,
  publishPost,
  savePostContent,
  schedulePost,
  type Author,
  type Post,
} from '../src/db/posts.js';
import { insertUser, type User } from '../src/db/users.js';
import { countWords, htmlToPlainText, sanitizePostHtml } from '../src/lib/sanitize.js';
import { ORIGIN } from './helpers.js';

export interface Writer {
  user: User;
  author: Author;
}

/** A writer account (it never signs in here, so it needs no real password hash). */
export function makeWriter(db: Db, displayName = 'Ada Lovelace', username = `writer${Math.random().toString(36).slice(2, 10)}`): Writer {
  const user = insertUser(db, { username, displayName, role: 'writer', passwordHash: 'not-a-hash', createdAt: Date.UTC(2026, 0, 1) });
  return { user, author: authorForUser(db, user) };
}

export interface PostInput {
  title?: string;
  html?: string;
  excerpt?: string;
  slug?: string;
  tags?: string[];
}

/** A draft with content, sanitized on the way in as every save is. */
export function draft(db: Db, writer: Writer, now: number, input: PostInput = {}): Post {
  const post = createDraft(db, writer.author, now);
  // An empty slug asks for one made from the title, as the editor does.
  return edit(db, writer, post, now, { slug: '', ...input });
}

export function edit(db: Db, writer: Writer, post: Post, now: number, input: PostInput, significant = false): Post {
  const html = sanitizePostHtml(input.html ?? post.html, { publicOrigin: ORIGIN });
  const text = htmlToPlainText(html);
  const result = savePostContent(db, {
    id: post.id,
    baseRevision: post.revision,
    userId: writer.user.id,
    now,
    significant,
    title: input.title ?? post.title,
    slug: input.slug ?? post.slug,
    excerpt: input.excerpt ?? post.excerpt,
    html,
    text,
    wordCount: countWords(text),
    tags: input.tags ?? post.tags.map((t) => t.name),
  });
  if (!result.ok) throw new Error(`save failed: ${result.reason}`);
  return result.post;
}

export function publish(db: Db, writer: Writer, now: number, input: PostInput = {}): Post {
  const post = draft(db, writer, now, { title: 'A post', html: '<p>Some words.</p>', ...input });
  publishPost(db, post.id, now);
  return getPost(db, post.id)!;
}

export function schedule(db: Db, writer: Writer, now: number, at: number, input: PostInput = {}): Post {
  const post = draft(db, writer, now, { title: 'Scheduled', html: '<p>Later.</p>', ...input });
  schedulePost(db, post.id, at, now);
  return getPost(db, post.id)!;
}

/** Every <script …> opening in a page. */
export function scriptTags(html: string): string[] {
  return html.match(/<script\b[^>]*>/gi) ?? [];
}

/**
 * What a browser would run or fetch from a piece of HTML: script elements, event-handler
 * attributes, javascript:/vbscript:/data: URLs, embedded documents and foreign content, style.
 * Text is escaped by the views, so every "<" left in the output starts a real tag.
 */
export function dangerousMarkup(html: string): string[] {
  const found: string[] = [];
  for (const match of html.matchAll(/<([a-zA-Z][\w:-]*)([^>]*)>/g)) {
    const name = match[1]!.toLowerCase();
    if (/^(script|iframe|frame|object|embed|applet|svg|math|style|base|template|noscript|xmp|form|meta|link|textarea|body|html|head)$/.test(name)) {
      found.push(match[0]);
    }
    // Attributes as a browser splits them: name, then an optional quoted or bare value.
    for (const attribute of match[2]!.matchAll(/([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?/g)) {
      const attributeName = attribute[1]!.toLowerCase();
      const value = decodeEntities((attribute[2] ?? '').replace(/^["']|["']$/g, ''))
        // eslint-disable-next-line no-control-regex
        .replace(/[\u0000-\u0020]/g, '')
        .toLowerCase();
      if (/^on/.test(attributeName) || attributeName === 'style') found.push(match[0]);
      if (/^(href|src|srcset|action|formaction|xlink:href|data|poster|background)$/.test(attributeName) && /^(javascript|vbscript|data|file):/.test(value)) {
        found.push(match[0]);
      }
    }
  }
  return found;
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);?/gi, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#([0-9]+);?/g, (_m, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&colon;/gi, ':')
    .replace(/&tab;/gi, '\t')
    .replace(/&newline;/gi, '\n')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

/** The HTML between <main …> and </main>: where a post's content is. */
export function mainOf(page: string): string {
  return page.slice(page.indexOf('<main'), page.indexOf('</main>'));
}

/**
 * Parses feeds with Debian's python3-feedparser (an independent implementation) and, for XML,
 * with the strict expat parser in Python's standard library. Returns one summary per document.
 */
export function parseFeeds(documents: string[]): ParsedFeed[] {
  const script = `
import json, sys, xml.etree.ElementTree as ET
import feedparser
docs = json.load(sys.stdin)
out = []
for doc in docs:
    wellformed = None
    if doc.lstrip().startswith('<'):
        try:
            ET.fromstring(doc.encode('utf-8'))
            wellformed = True
        except ET.ParseError as e:
            wellformed = str(e)
    d = feedparser.parse(doc)
    out.append({
        'wellformed': wellformed,
        'bozo': bool(d.bozo),
        'bozo_exception': str(d.get('bozo_exception', '')),
        'version': d.version,
        'feed': {k: d.feed.get(k) for k in ('title', 'link', 'id', 'subtitle', 'language', 'updated')},
        'entries': [{
            'id': e.get('id'),
            'title': e.get('title'),
            'link': e.get('link'),
            'published': e.get('published'),
            'updated': e.get('updated'),
            'author': e.get('author'),
            'summary': e.get('summary'),
            'content': [c.get('value') for c in e.get('content', [])],
            'tags': [t.get('term') for t in e.get('tags', [])],
        } for e in d.entries],
    })
json.dump(out, sys.stdout)
`;
  const output = execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(documents), encoding: 'utf8' });
  return JSON.parse(output) as ParsedFeed[];
}

export interface ParsedFeed {
  wellformed: true | string | null;
  bozo: boolean;
  bozo_exception: string;
  version: string;
  feed: { title: string | null; link: string | null; id: string | null; subtitle: string | null; language: string | null; updated: string | null };
  entries: {
    id: string | null;
    title: string | null;
    link: string | null;
    published: string | null;
    updated: string | null;
    author: string | null;
    summary: string | null;
    content: string[];
    tags: string[];
  }[];
}

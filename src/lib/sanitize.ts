/**
 * The one gate between HTML a writer (or a Ghost import) sends and HTML a reader's browser runs.
 *
 * Everything is an allowlist: a tag, attribute or URL that is not named here does not come out.
 * Parsing and serialising are sanitize-html's (htmlparser2 underneath); this file only decides.
 * URLs are judged with the WHATWG URL parser, the same algorithm the reader's browser uses, so
 * obfuscations (entities, tabs and newlines inside the scheme, mixed case, leading control
 * characters, backslashes for slashes) are seen exactly as the browser would see them.
 */
import { sanitizeHtml, type Attributes, type IOptions } from './sanitize-html.js';

export interface SanitizeOptions {
  /** The blog's public origin, e.g. "https://blog.example.org": decides what is same-site. */
  publicOrigin: string;
}

// Tags the editor's toolbar can produce, plus br. Anything else is dropped, keeping its text.
const ALLOWED_TAGS = [
  'p', 'br', 'h2', 'h3', 'h4', 'strong', 'em', 's', 'a', 'blockquote', 'ul', 'ol', 'li', 'pre', 'code', 'img',
];

// Elements dropped together with everything inside them.
// script/style/template/noscript/noembed/noframes/xmp/iframe: their content is raw text or inert
// markup in a browser but would be re-parsed as markup by us (or the other way round); such parser
// differentials are how mutation XSS works, so none of it survives.
// svg/math: foreign content has its own parsing rules (and SMIL, xlink:href, mglyph tricks); nothing
// in a post needs it. object/embed/textarea/select/option/title: no reader-facing text worth keeping.
const DROP_WITH_CONTENT = [
  'script', 'style', 'template', 'noscript', 'noembed', 'noframes', 'xmp', 'iframe', 'frame', 'frameset',
  'svg', 'math', 'object', 'embed', 'applet', 'textarea', 'select', 'option', 'title', 'head',
];

// Only these schemes ever reach an href. No javascript:, vbscript:, data:, file:, or anything new.
const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

// "/path?query#fragment" with nothing a browser would reinterpret (no "//", backslash, control or space).
// eslint-disable-next-line no-control-regex
const PLAIN_ROOT_RELATIVE = /^\/(?![/\\])[^\u0000-\u0020\\]*$/;

// Quill 2's raw editor HTML marks bullet (and checklist) items inside a single <ol>.
const UNORDERED_LIST_ITEMS = new Set(['bullet', 'checked', 'unchecked']);

// Only images we serve ourselves: no tracking pixels or hot-linked images leaking readers' IPs,
// no mixed content, and a strict img-src CSP stays possible.
const MEDIA_PATH_PREFIX = '/media/';

// A code block's language, for highlighting later; a short plain token or nothing.
const CODE_LANGUAGE = /^[a-z0-9+#-]{1,32}$/i;

// Image dimensions are plain pixel counts; anything else (percentages, "auto", junk) is dropped.
const PIXELS = /^\d{1,5}$/;

// `sizes` is a list of media conditions and lengths; this charset covers real ones and nothing else.
const SIZES = /^[a-z0-9\s(),.:%+-]{1,256}$/i;

// One srcset candidate: a URL with no whitespace or comma, then at most one width or density
// descriptor. Our own media URLs never contain commas, so a strict pattern loses nothing.
const SRCSET_CANDIDATE = /^([^\s,]+)(?:\s+(\d{1,5}w|\d{1,2}(?:\.\d{1,3})?x))?$/;

// Block-level boundaries for htmlToPlainText: each becomes a line break so words do not run together.
const TEXT_BLOCK_TAGS = new Set([
  'p', 'div', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'ul', 'ol', 'dl', 'dt', 'dd',
  'blockquote', 'pre', 'figure', 'figcaption', 'table', 'tr', 'td', 'th', 'caption', 'section',
  'article', 'aside', 'header', 'footer', 'nav', 'main', 'address', 'details', 'summary',
]);

/**
 * Sanitizes post HTML from the editor or an import so it is safe to render as-is on a page
 * (and in feeds). Returns '' for empty input.
 */
export function sanitizePostHtml(html: string, options: SanitizeOptions): string {
  if (html.trim() === '') return '';
  const site = parseOrigin(options.publicOrigin);
  const unorderedLists = findUnorderedOls(html);
  let olIndex = -1;

  const output = sanitizeHtml(html, {
    ...baseOptions(),
    allowedTags: ALLOWED_TAGS,
    // Only the attributes our transforms below produce, after they have checked every value.
    // No class, style, id or on* attribute on anything: style can hide or overlay content,
    // ids can clobber DOM globals, and event handlers are script.
    allowedAttributes: {
      a: ['href', 'rel'],
      img: ['src', 'srcset', 'alt', 'width', 'height', 'sizes'],
      pre: ['data-language'],
    },
    allowedClasses: {},
    // A second, independent scheme check by sanitize-html after ours (defence in depth).
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    // Protocol-relative URLs are rewritten to absolute ones below; any left over are refused.
    allowProtocolRelative: false,
    // Counts <ol> openings in the same order findUnorderedOls saw them (this hook runs for every tag).
    onOpenTag: (name) => {
      if (name === 'ol') olIndex += 1;
    },
    transformTags: {
      // The post title is the page's h1, so headings in the body start at h2; h5/h6 (imports) fold into h4.
      h1: 'h2',
      h5: 'h4',
      h6: 'h4',
      b: 'strong',
      i: 'em',
      strike: 's',
      del: 's',
      ol: () => ({ tagName: unorderedLists[olIndex] ? 'ul' : 'ol', attribs: {} }),
      a: (_tag, attribs) => ({ tagName: 'a', attribs: linkAttributes(attribs.href, site) }),
      img: (_tag, attribs) => ({ tagName: 'img', attribs: imageAttributes(attribs, site) }),
      pre: (_tag, attribs) => {
        const language = attribs['data-language'];
        const kept: Attributes = language && CODE_LANGUAGE.test(language) ? { 'data-language': language } : {};
        return { tagName: 'pre', attribs: kept };
      },
    },
    exclusiveFilter: (frame) => {
      // An image whose src was refused is removed outright: an empty <img> is only a broken box.
      if (frame.tag === 'img' && !frame.attribs.src) return true;
      // A link whose href was refused loses the <a> but keeps its text.
      if (frame.tag === 'a' && !frame.attribs.href) return 'excludeTag';
      return false;
    },
  });
  return breakableSpaces(output).trim();
}

/**
 * The readable text of some HTML, for word counts, excerpts and search: tags removed, entities
 * decoded, block boundaries as line breaks, runs of spaces collapsed, script/style content gone.
 */
export function htmlToPlainText(html: string): string {
  if (html.trim() === '') return '';
  const parts: string[] = [];
  const boundary = (name: string) => {
    if (TEXT_BLOCK_TAGS.has(name)) parts.push('\n');
  };
  sanitizeHtml(html, {
    ...baseOptions(),
    allowedTags: [],
    allowedAttributes: {},
    onOpenTag: boundary,
    onCloseTag: boundary,
    // Only text a reader would see reaches this filter (dropped elements' content never does).
    // sanitize-html hands it over HTML-escaped; undo exactly that escaping to get the text back.
    // Line breaks in the source are only whitespace; the line breaks we keep are the blocks'.
    textFilter: (text) => {
      const decoded = text.replace(/&(amp|lt|gt|quot|#39);/g, (_match, name: string) => ESCAPES[name] ?? '');
      parts.push(decoded.replace(/\s+/g, ' '));
      return '';
    },
  });
  return parts
    .join('')
    .split('\n')
    .map((line) => line.replace(/ +/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}

const ESCAPES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

// Word boundaries by Unicode rules (with dictionaries for languages written without spaces),
// so a post in Japanese or Thai is not counted as one word per sentence.
const WORDS = new Intl.Segmenter('en', { granularity: 'word' });

/** How many words a plain text has (punctuation and spaces are not words). */
export function countWords(text: string): number {
  let count = 0;
  for (const segment of WORDS.segment(text)) {
    if (segment.isWordLike) count += 1;
  }
  return count;
}

// ---------------------------------------------------------------------------------------------

/** Options shared by every pass, so the parser sees the same events each time. */
function baseOptions(): IOptions {
  return {
    // Drop unknown tags but keep the words inside them (e.g. <u>, <span>, <div> from imports).
    disallowedTagsMode: 'discard',
    nonTextTags: DROP_WITH_CONTENT,
    // Entities are decoded before any check, so "&#106;avascript:" is judged as "javascript:".
    parser: { decodeEntities: true },
  };
}

function parseOrigin(publicOrigin: string): URL {
  try {
    return new URL(new URL(publicOrigin).origin);
  } catch {
    throw new Error(`sanitizePostHtml: publicOrigin must be an absolute URL such as https://blog.example.org, got "${publicOrigin}"`);
  }
}

/**
 * For each <ol> in document order: true if its items are all Quill bullet/checklist items,
 * i.e. it is really a <ul>. A mixed list stays an <ol> (splitting it would need tree surgery).
 * This is a first parse of the same input, watching tags only; its output is thrown away.
 */
function findUnorderedOls(html: string): boolean[] {
  const lists: Array<'empty' | 'bullet' | 'ordered'> = [];
  // One entry per open element: the index of the <ol> it is, or -1.
  const open: number[] = [];
  sanitizeHtml(html, {
    ...baseOptions(),
    allowedTags: [],
    onOpenTag: (name, attribs) => {
      const parent = open.at(-1) ?? -1;
      if (name === 'li' && parent >= 0) {
        const bullet = UNORDERED_LIST_ITEMS.has(attribs['data-list'] ?? '');
        if (!bullet) lists[parent] = 'ordered';
        else if (lists[parent] === 'empty') lists[parent] = 'bullet';
      }
      if (name === 'ol') {
        open.push(lists.length);
        lists.push('empty');
      } else {
        open.push(-1);
      }
    },
    onCloseTag: () => {
      open.pop();
    },
  });
  return lists.map((kind) => kind === 'bullet');
}

/**
 * href and rel for a link, or no href if the URL is not allowed.
 * Allowed: http(s) and mailto URLs, and root-relative paths ("/posts/x"). Not allowed: other
 * schemes, and document-relative paths, which would change meaning between the page and the feed.
 */
function linkAttributes(rawHref: string | undefined, site: URL): Attributes {
  const href = rawHref?.trim() ?? '';
  if (href === '') return {};
  const url = parseUrl(href, site);
  if (!url || !LINK_PROTOCOLS.has(url.protocol)) return {};
  if (url.protocol === 'mailto:') return { href: url.href };
  const relative = !URL.canParse(href);
  if (relative && !href.startsWith('/')) return {};
  if (url.origin === site.origin) {
    // A plain root-relative link stays as written; anything odd (tabs, backslashes, "//") is
    // written out in full, so the HTML says exactly what the browser will do.
    return { href: relative && PLAIN_ROOT_RELATIVE.test(href) ? href : url.href };
  }
  // External (including "//host" and "/\host", which browsers treat as other hosts): written out
  // in full so what the reader sees is where it goes, and no Referer leaks the reader's page.
  // No target: opening a new tab is the reader's choice, and without it there is no opener to abuse.
  return { href: url.href, rel: 'noopener noreferrer' };
}

/** The image attributes we keep, each checked; no src at all if the image is not ours. */
function imageAttributes(attribs: Attributes, site: URL): Attributes {
  const src = mediaUrl(attribs.src, site);
  if (src === null) return {};
  const kept: Attributes = { src };
  // Alt text is plain text; sanitize-html escapes it when writing the attribute.
  if (attribs.alt !== undefined) kept.alt = attribs.alt;
  if (attribs.width && PIXELS.test(attribs.width)) kept.width = attribs.width;
  if (attribs.height && PIXELS.test(attribs.height)) kept.height = attribs.height;
  const srcset = mediaSrcset(attribs.srcset, site);
  if (srcset) kept.srcset = srcset;
  if (attribs.sizes && SIZES.test(attribs.sizes)) kept.sizes = attribs.sizes;
  return kept;
}

/**
 * The URL to use if this is one of our own media files ("/media/…" or "<publicOrigin>/media/…"),
 * otherwise null. data:, blob: and other hosts never pass: the origin check excludes them.
 */
function mediaUrl(rawSrc: string | undefined, site: URL): string | null {
  const src = rawSrc?.trim() ?? '';
  if (src === '') return null;
  const url = parseUrl(src, site);
  // Judged on the resolved URL, so "/media/../admin" and "/media/%2e%2e/x" are seen as what they are.
  if (!url || url.origin !== site.origin || !url.pathname.startsWith(MEDIA_PATH_PREFIX)) return null;
  if (URL.canParse(src)) return url.href;
  // Relative: only root-relative, since "media/x.png" would resolve differently on every page.
  if (!src.startsWith('/')) return null;
  return url.pathname + url.search;
}

/** A srcset whose every candidate is one of our media files, or null (all or nothing). */
function mediaSrcset(rawSrcset: string | undefined, site: URL): string | null {
  if (!rawSrcset || rawSrcset.trim() === '') return null;
  const candidates: string[] = [];
  for (const candidate of rawSrcset.split(',')) {
    const match = SRCSET_CANDIDATE.exec(candidate.trim());
    const url = match?.[1] === undefined ? null : mediaUrl(match[1], site);
    if (!match || url === null) return null;
    candidates.push(match[2] ? `${url} ${match[2]}` : url);
  }
  return candidates.join(', ');
}

function parseUrl(value: string, base: URL): URL | null {
  try {
    return new URL(value, base);
  } catch {
    return null;
  }
}

/**
 * Quill 2's getSemanticHTML writes every space as &nbsp;, which would make each paragraph one
 * unbreakable line on a phone. A lone no-break space between two non-spaces becomes an ordinary
 * space; runs of them (deliberate extra spacing) stay. Done on the sanitized output, where the
 * whole text is in view (sanitize-html's textFilter sees each entity as a separate fragment);
 * swapping one space character for another cannot create markup, and the rule is idempotent,
 * so re-saving a post changes nothing.
 */
function breakableSpaces(html: string): string {
  return html.replace(/(?<!\s)\u00a0(?!\s)/g, ' ');
}

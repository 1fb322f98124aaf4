// Markdown from post HTML, for exports a writer can open anywhere. Input is post HTML as stored
// (already sanitized, so only the editor's small set of tags); parsing is sanitize-html's
// (htmlparser2), as in lib/sanitize: nothing here parses HTML by hand.
import { sanitizeHtml } from './sanitize-html.js';

interface ElementNode {
  tag: string;
  attribs: Record<string, string>;
  children: Node[];
}
type Node = ElementNode | string;

const BLOCKS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'blockquote', 'pre', 'hr', 'div', 'figure']);
const ESCAPES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

function parse(html: string): ElementNode {
  const root: ElementNode = { tag: '#root', attribs: {}, children: [] };
  const stack: ElementNode[] = [root];
  sanitizeHtml(html, {
    allowedTags: [],
    allowedAttributes: {},
    disallowedTagsMode: 'discard',
    parser: { decodeEntities: true },
    onOpenTag: (tag, attribs) => {
      const node: ElementNode = { tag, attribs, children: [] };
      stack.at(-1)!.children.push(node);
      stack.push(node);
    },
    onCloseTag: (tag) => {
      // Pop to the matching element (htmlparser2 also closes void and implied elements here).
      const index = stack.findLastIndex((n) => n.tag === tag);
      if (index > 0) stack.length = index;
    },
    // Text arrives HTML-escaped; undo exactly that escaping.
    textFilter: (text) => {
      stack.at(-1)!.children.push(text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, name: string) => ESCAPES[name] ?? ''));
      return '';
    },
  });
  return root;
}

/** Characters that would otherwise become Markdown syntax. */
function escapeText(text: string): string {
  return text.replace(/([\\`*_[\]<>~|])/g, '\\$1');
}

/** Line starts that would turn a paragraph into a heading, quote, list or rule. */
function escapeLineStarts(text: string): string {
  return text.replace(/^(\s*)([#>+-]|\d+[.)])(?=\s|$)/gm, (_m, space: string, marker: string) => `${space}${marker.replace(/([#>+.)-])$/, '\\$1')}`);
}

function textOf(node: Node): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}

function linkTarget(href: string): string {
  return /[\s()<>]/.test(href) ? `<${href.replace(/[<>]/g, encodeURIComponent)}>` : href;
}

function inline(nodes: Node[]): string {
  let out = '';
  for (const node of nodes) {
    if (typeof node === 'string') {
      out += escapeText(node.replace(/\s+/g, ' '));
      continue;
    }
    const inner = () => inline(node.children);
    switch (node.tag) {
      case 'strong':
      case 'b':
        out += wrap(inner(), '**');
        break;
      case 'em':
      case 'i':
        out += wrap(inner(), '*');
        break;
      case 's':
      case 'del':
        out += wrap(inner(), '~~');
        break;
      case 'code': {
        const code = textOf(node);
        const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((run) => run.length));
        const fence = '`'.repeat(longest + 1);
        const pad = code.startsWith('`') || code.endsWith('`') ? ' ' : '';
        out += `${fence}${pad}${code}${pad}${fence}`;
        break;
      }
      case 'a':
        out += node.attribs.href ? `[${inner()}](${linkTarget(node.attribs.href)})` : inner();
        break;
      case 'img':
        out += node.attribs.src ? `![${escapeText(node.attribs.alt ?? '')}](${linkTarget(node.attribs.src)})` : '';
        break;
      case 'br':
        out += '\\\n';
        break;
      default:
        out += inner();
    }
  }
  return out;
}

/** Emphasis markers hug the text: "** bold **" is not bold in Markdown, so spaces move outside. */
function wrap(text: string, marker: string): string {
  const match = /^(\s*)([\s\S]*?)(\s*)$/.exec(text)!;
  return match[2] ? `${match[1]}${marker}${match[2]}${marker}${match[3]}` : text;
}

function indent(text: string, first: string, rest: string): string {
  return text
    .split('\n')
    .map((line, i) => (i === 0 ? first : line ? rest : '') + line)
    .join('\n');
}

function blocks(nodes: Node[], separator = '\n\n'): string {
  const out: string[] = [];
  let run: Node[] = [];
  const flush = () => {
    const text = escapeLineStarts(inline(run).trim());
    if (text) out.push(text);
    run = [];
  };
  for (const node of nodes) {
    if (typeof node === 'string' || !BLOCKS.has(node.tag)) {
      run.push(node);
      continue;
    }
    flush();
    const rendered = block(node);
    if (rendered) out.push(rendered);
  }
  flush();
  return out.join(separator);
}

function block(node: ElementNode): string {
  switch (node.tag) {
    case 'h1':
    case 'h2':
    case 'h3':
    case 'h4':
    case 'h5':
    case 'h6': {
      const text = inline(node.children).replace(/\\\n/g, ' ').trim();
      return text ? `${'#'.repeat(Number(node.tag[1]))} ${text}` : '';
    }
    case 'hr':
      return '---';
    case 'pre': {
      const code = textOf(node).replace(/\n$/, '');
      const longest = Math.max(2, ...(code.match(/^`{3,}/gm) ?? []).map((run) => run.length));
      const fence = '`'.repeat(longest + 1);
      const language = node.attribs['data-language'] ?? '';
      return `${fence}${language}\n${code}\n${fence}`;
    }
    case 'blockquote': {
      const inner = blocks(node.children);
      return inner ? indent(inner, '> ', '> ').replace(/^$/gm, '>') : '';
    }
    case 'ul':
    case 'ol': {
      const items = node.children.filter((child): child is ElementNode => typeof child !== 'string' && child.tag === 'li');
      return items
        .map((item, i) => {
          const marker = node.tag === 'ol' ? `${i + 1}. ` : '- ';
          const content = blocks(item.children, '\n') || '';
          return indent(content, marker, ' '.repeat(marker.length));
        })
        .join('\n');
    }
    default:
      // p, li outside a list, div, figure: their content as blocks.
      return blocks(node.children);
  }
}

/** Markdown (CommonMark) for a post's HTML. */
export function htmlToMarkdown(html: string): string {
  if (html.trim() === '') return '';
  return blocks(parse(html).children).trim() + '\n';
}

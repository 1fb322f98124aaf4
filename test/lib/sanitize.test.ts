import { describe, expect, it } from 'vitest';
// htmlparser2 is sanitize-html's own parser; here it reads the output back as a tree so the checks
// below look at real elements and attributes rather than trusting regular expressions alone.
import { DomUtils, parseDocument } from 'htmlparser2';
import { countWords, htmlToPlainText, sanitizePostHtml } from '../../src/lib/sanitize.js';
import { XSS_VECTORS } from '../fixtures/xss-vectors.js';

const ORIGIN = 'https://blog.example.org';
const sanitize = (html: string) => sanitizePostHtml(html, { publicOrigin: ORIGIN });

// What may come out at all, per tag: anything else in the output is a failure.
const ALLOWED_OUTPUT: Record<string, readonly string[]> = {
  p: [], br: [], h2: [], h3: [], h4: [], strong: [], em: [], s: [], blockquote: [],
  ul: [], ol: [], li: [], code: [],
  pre: ['data-language'],
  a: ['href', 'rel'],
  img: ['src', 'alt', 'width', 'height', 'srcset', 'sizes'],
};
const FORBIDDEN_TAGS = [
  'script', 'style', 'iframe', 'frame', 'object', 'embed', 'applet', 'svg', 'math', 'form', 'input',
  'button', 'base', 'meta', 'link', 'template', 'noscript', 'textarea',
];
const URL_ATTRIBUTES = new Set([
  'href', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background',
  'lowsrc', 'dynsrc', 'codebase', 'cite', 'ping',
]);
const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** Every URL a browser could take from this attribute value. */
function urlsIn(name: string, value: string): string[] {
  if (name !== 'srcset') return [value];
  return value.split(',').map((candidate) => candidate.trim().split(/\s+/)[0] ?? '');
}

/** Fails the test if the sanitized output contains anything that could run script. */
function expectInert(output: string): void {
  const document = parseDocument(output);
  const elements = DomUtils.findAll(() => true, document.children);
  for (const element of elements) {
    const tag = element.name.toLowerCase();
    expect(FORBIDDEN_TAGS, `forbidden <${tag}>`).not.toContain(tag);
    expect(Object.keys(ALLOWED_OUTPUT), `unexpected <${tag}>`).toContain(tag);
    for (const [name, value] of Object.entries(element.attribs)) {
      expect(name, `event handler on <${tag}>`).not.toMatch(/^on/i);
      expect(ALLOWED_OUTPUT[tag], `unexpected ${name} on <${tag}>`).toContain(name);
      if (!URL_ATTRIBUTES.has(name)) continue;
      for (const url of urlsIn(name, value)) {
        // What a browser would see: control characters and whitespace ignored, case folded.
        // eslint-disable-next-line no-control-regex
        const squashed = url.replace(/[\u0000-\u0020]/g, '').toLowerCase();
        expect(squashed, `${name} on <${tag}>`).not.toMatch(/^(javascript|vbscript|data):/);
        expect(SAFE_PROTOCOLS, `${name}="${url}" on <${tag}>`).toContain(new URL(url, ORIGIN).protocol);
      }
    }
  }
  // The same properties as text: sanitize-html escapes every < in text and attribute values and
  // double-quotes every attribute, so these patterns cannot match harmless content.
  expect(output).not.toMatch(/<script/i);
  expect(output).not.toMatch(/<\/?\s*(iframe|object|embed|svg|math|style|form|base|meta|link|template)\b/i);
  const tagsOnly = output.replace(/"[^"]*"/g, '""');
  expect(tagsOnly).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
  for (const match of output.matchAll(/\s(?:href|src|srcset)="([^"]*)"/gi)) {
    expect(match[1]).not.toMatch(/(javascript|vbscript|data)\s*:/i);
  }
}

describe('sanitizePostHtml: XSS corpus', () => {
  it('has a corpus worth the name, with unique names', () => {
    expect(XSS_VECTORS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(XSS_VECTORS.map((vector) => vector.name)).size).toBe(XSS_VECTORS.length);
  });

  it.each(XSS_VECTORS)('neutralises $name', ({ html }) => {
    const output = sanitize(html);
    expectInert(output);
    // Sanitizing again changes nothing: output that re-parses differently is how mutation XSS starts.
    expect(sanitize(output)).toBe(output);
  });

  it('catches what it claims to catch (the checker itself can fail)', () => {
    expect(() => expectInert('<img src=x onerror=alert(1)>')).toThrow();
    expect(() => expectInert('<a href="java&#x09;script:alert(1)">x</a>')).toThrow();
    expect(() => expectInert('<svg></svg>')).toThrow();
    expect(() => expectInert('<p class="x">x</p>')).toThrow();
  });

  it('keeps the harmless text around removed markup', () => {
    expect(sanitize('<p onclick="alert(1)">click</p>')).toBe('<p>click</p>');
    expect(sanitize('<a href="javascript:alert(1)">label</a>')).toBe('label');
    expect(sanitize('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(sanitize('<img src="/media/ok.png" alt="&quot; onerror=&quot;alert(1)">')).toBe(
      '<img src="/media/ok.png" alt="&quot; onerror=&quot;alert(1)" />',
    );
  });
});

describe('sanitizePostHtml: what the editor produces', () => {
  it("keeps Quill 2's semantic HTML for every toolbar format", () => {
    // As getSemanticHTML() returns it: spaces as &nbsp;, links with Quill's own rel/target.
    const quill =
      '<h2>A&nbsp;heading</h2>' +
      '<h3>Sub</h3><h4>Minor</h4>' +
      '<p>Some&nbsp;<strong>bold</strong>,&nbsp;<em>italic</em>,&nbsp;<s>struck</s>&nbsp;and&nbsp;<code>code</code>.</p>' +
      '<p><a href="https://example.com/page" rel="noopener noreferrer" target="_blank">out</a>&nbsp;' +
      '<a href="/posts/other" rel="noopener noreferrer" target="_blank">in</a></p>' +
      '<blockquote>Quoted</blockquote>' +
      '<ol><li>first</li><li>second<ul><li>nested</li></ul></li></ol>' +
      '<ul><li>bullet</li></ul>' +
      '<pre data-language="plain">\nconst a = 1 &lt; 2;\n  indented();\n</pre>' +
      '<p><img src="/media/2025/cat.webp" alt="A cat" width="640" height="480"></p>' +
      '<p><br></p>';
    expect(sanitize(quill)).toBe(
      '<h2>A heading</h2>' +
      '<h3>Sub</h3><h4>Minor</h4>' +
      '<p>Some <strong>bold</strong>, <em>italic</em>, <s>struck</s> and <code>code</code>.</p>' +
      '<p><a href="https://example.com/page" rel="noopener noreferrer">out</a> <a href="/posts/other">in</a></p>' +
      '<blockquote>Quoted</blockquote>' +
      '<ol><li>first</li><li>second<ul><li>nested</li></ul></li></ol>' +
      '<ul><li>bullet</li></ul>' +
      '<pre data-language="plain">\nconst a = 1 &lt; 2;\n  indented();\n</pre>' +
      '<p><img src="/media/2025/cat.webp" alt="A cat" width="640" height="480" /></p>' +
      '<p><br /></p>',
    );
  });

  it('returns an empty string for empty or blank input', () => {
    expect(sanitize('')).toBe('');
    expect(sanitize('  \n\t ')).toBe('');
    expect(sanitize('<script>alert(1)</script>')).toBe('');
  });

  it('maps h1 to h2 (the title is the page h1) and h5/h6 to h4', () => {
    expect(sanitize('<h1>T</h1><h5>five</h5><h6>six</h6>')).toBe('<h2>T</h2><h4>five</h4><h4>six</h4>');
  });

  it('normalises bold, italic and strike spellings and drops underline but keeps its text', () => {
    expect(sanitize('<p><b>b</b> <i>i</i> <strike>s</strike> <del>d</del> <u>u</u></p>')).toBe(
      '<p><strong>b</strong> <em>i</em> <s>s</s> <s>d</s> u</p>',
    );
  });

  it('removes class, style and id everywhere', () => {
    expect(sanitize('<p class="ql-align-center" style="color:red" id="x"><span class="ql-size-large">t</span></p>')).toBe('<p>t</p>');
  });

  it('keeps deliberate runs of spaces but lets lines wrap', () => {
    expect(sanitize('<p>a&nbsp;b&nbsp;&nbsp;c</p>')).toBe('<p>a b\u00a0\u00a0c</p>');
  });

  it('rejects a publicOrigin that is not a URL', () => {
    expect(() => sanitizePostHtml('<p>x</p>', { publicOrigin: 'blog.example.org' })).toThrow(/publicOrigin/);
  });
});

describe('sanitizePostHtml: links', () => {
  it('marks external links noopener noreferrer and never opens a new tab', () => {
    expect(sanitize('<a href="https://example.com/x" target="_blank" rel="opener">x</a>')).toBe(
      '<a href="https://example.com/x" rel="noopener noreferrer">x</a>',
    );
    expect(sanitize('<a href="http://example.com/x">x</a>')).toBe('<a href="http://example.com/x" rel="noopener noreferrer">x</a>');
  });

  it('leaves same-site links without rel, relative or absolute', () => {
    expect(sanitize('<a href="/posts/hello?x=1#top">x</a>')).toBe('<a href="/posts/hello?x=1#top">x</a>');
    expect(sanitize('<a href="https://blog.example.org/posts/hello">x</a>')).toBe('<a href="https://blog.example.org/posts/hello">x</a>');
  });

  it('keeps mailto links', () => {
    expect(sanitize('<a href="mailto:editor@example.com">mail</a>')).toBe('<a href="mailto:editor@example.com">mail</a>');
  });

  it('writes out protocol-relative and backslash tricks as the external links they are', () => {
    expect(sanitize('<a href="//example.com/x">x</a>')).toBe('<a href="https://example.com/x" rel="noopener noreferrer">x</a>');
    expect(sanitize('<a href="/\\example.com/x">x</a>')).toBe('<a href="https://example.com/x" rel="noopener noreferrer">x</a>');
    expect(sanitize('<a href="/&#x09;/example.com/x">x</a>')).toBe('<a href="https://example.com/x" rel="noopener noreferrer">x</a>');
    // Same site but spelled oddly: written out in full rather than passed through.
    expect(sanitize('<a href="/\\blog.example.org/x">x</a>')).toBe('<a href="https://blog.example.org/x">x</a>');
  });

  it('drops links it does not allow but keeps their text', () => {
    for (const href of ['posts/x', '#top', '?q=1', 'ftp://example.com/f', 'tel:+100', 'file:///etc/passwd', '']) {
      expect(sanitize(`<p><a href="${href}">label</a></p>`), href).toBe('<p>label</p>');
    }
    expect(sanitize('<p><a name="x">anchor</a></p>')).toBe('<p>anchor</p>');
  });
});

describe('sanitizePostHtml: lists', () => {
  it("turns Quill's raw <ol><li data-list=\"bullet\"> into a real <ul>", () => {
    const raw =
      '<ol><li data-list="bullet"><span class="ql-ui" contenteditable="false"></span>one</li>' +
      '<li data-list="bullet"><span class="ql-ui" contenteditable="false"></span>two</li></ol>' +
      '<ol><li data-list="ordered">first</li></ol>' +
      '<ol><li data-list="checked">done</li></ol>';
    expect(sanitize(raw)).toBe('<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol><ul><li>done</li></ul>');
  });

  it('converts each list on its own, including nested ones', () => {
    const raw = '<ol><li data-list="ordered">a<ol><li data-list="bullet">b</li></ol></li></ol><p>x</p><ol><li data-list="bullet">c</li></ol>';
    expect(sanitize(raw)).toBe('<ol><li>a<ul><li>b</li></ul></li></ol><p>x</p><ul><li>c</li></ul>');
  });

  it('keeps a raw list that mixes bullets and numbers as one ordered list (known limit)', () => {
    expect(sanitize('<ol><li data-list="bullet">a</li><li data-list="ordered">b</li></ol>')).toBe('<ol><li>a</li><li>b</li></ol>');
  });
});

describe('sanitizePostHtml: code blocks', () => {
  it('keeps a plain language token and drops anything else', () => {
    expect(sanitize('<pre data-language="javascript">x</pre>')).toBe('<pre data-language="javascript">x</pre>');
    expect(sanitize('<pre data-language="x&quot; onmouseover=&quot;alert(1)">x</pre>')).toBe('<pre>x</pre>');
    expect(sanitize('<pre class="ql-syntax" spellcheck="false">x</pre>')).toBe('<pre>x</pre>');
  });

  it('keeps markup inside code as text', () => {
    expect(sanitize('<pre>&lt;img src=x onerror=alert(1)&gt;</pre>')).toBe('<pre>&lt;img src=x onerror=alert(1)&gt;</pre>');
  });
});

describe('sanitizePostHtml: images', () => {
  it('keeps same-origin media with alt, width, height, srcset and sizes', () => {
    const html =
      '<img src="https://blog.example.org/media/a.webp" alt="" width="1200" height="800" ' +
      'srcset="/media/a-600.webp 600w, https://blog.example.org/media/a.webp 1200w" sizes="(max-width: 600px) 100vw, 600px">';
    expect(sanitize(html)).toBe(
      '<img src="https://blog.example.org/media/a.webp" alt="" width="1200" height="800" ' +
      'srcset="/media/a-600.webp 600w, https://blog.example.org/media/a.webp 1200w" sizes="(max-width: 600px) 100vw, 600px" />',
    );
  });

  it('removes images that are not our media', () => {
    for (const src of [
      'https://example.com/media/a.png', 'http://blog.example.org/media/a.png', '//example.com/media/a.png',
      '/uploads/a.png', 'media/a.png', '/media/../admin', '/media/%2e%2e/secret', 'data:image/png;base64,iVBORw0KGgo=',
      'blob:https://blog.example.org/1234', '',
    ]) {
      expect(sanitize(`<p>x<img src="${src}" alt="a"></p>`), src).toBe('<p>x</p>');
    }
  });

  it('drops a srcset with any foreign candidate, and odd dimensions', () => {
    expect(sanitize('<img src="/media/a.png" srcset="/media/a.png 1x, https://example.com/b.png 2x" width="50%" height="auto">')).toBe(
      '<img src="/media/a.png" />',
    );
  });
});

describe('htmlToPlainText', () => {
  it('puts block boundaries between words and decodes entities', () => {
    const html = '<h2>Title</h2><p>Hello&nbsp;<strong>wo</strong>rld &amp; &lt;b&gt; &amp;lt;</p><ul><li>one</li><li>two</li></ul>x<br>y';
    expect(htmlToPlainText(html)).toBe('Title\nHello world & <b> &lt;\none\ntwo\nx\ny');
  });

  it('collapses whitespace and drops script, style and comments', () => {
    expect(htmlToPlainText('<p>  a \n\t b  </p><script>var x = 1;</script><style>p{}</style><!-- note --><p>c</p>')).toBe('a b\nc');
  });

  it('returns an empty string for empty input', () => {
    expect(htmlToPlainText('')).toBe('');
    expect(htmlToPlainText('<p><br></p>')).toBe('');
  });
});

describe('countWords', () => {
  it('counts words, not punctuation or spaces', () => {
    expect(countWords('Hello, world! It’s a fine day — isn’t it?')).toBe(8);
    expect(countWords('')).toBe(0);
    expect(countWords('  \n — ')).toBe(0);
  });

  it('counts words in scripts written without spaces', () => {
    expect(countWords('これは日本語の文です')).toBeGreaterThan(1);
  });

  it('works on the plain text of a post', () => {
    expect(countWords(htmlToPlainText('<h2>Two words</h2><p>and<strong>three</strong> more</p>'))).toBe(4);
  });
});

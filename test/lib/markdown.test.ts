import { describe, expect, it } from 'vitest';
import { htmlToMarkdown } from '../../src/lib/markdown.js';

describe('htmlToMarkdown (post HTML → Markdown for exports)', () => {
  it('converts the editor’s blocks and inline formatting', () => {
    const html = [
      '<p>Hello <strong>bold</strong>, <em>italic</em>, <s>gone</s> and <code>x = 1</code>.</p>',
      '<h2>Section</h2>',
      '<h3>Sub &amp; more</h3>',
      '<p>A <a href="https://example.org/a_b">link</a><br />next line</p>',
      '<blockquote><p>Quoted</p><p>Twice</p></blockquote>',
      '<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>',
      '<ol><li>first</li><li>second</li></ol>',
      '<pre data-language="js">const a = 1 &lt; 2;\nconsole.log(a);</pre>',
      '<p><img src="/media/cat.jpg" alt="A cat" /></p>',
    ].join('');
    expect(htmlToMarkdown(html)).toBe(
      [
        'Hello **bold**, *italic*, ~~gone~~ and `x = 1`.',
        '',
        '## Section',
        '',
        '### Sub & more',
        '',
        'A [link](https://example.org/a_b)\\',
        'next line',
        '',
        '> Quoted',
        '>',
        '> Twice',
        '',
        '- one',
        '- two',
        '  - nested',
        '',
        '1. first',
        '2. second',
        '',
        '```js',
        'const a = 1 < 2;',
        'console.log(a);',
        '```',
        '',
        '![A cat](/media/cat.jpg)',
        '',
      ].join('\n'),
    );
  });

  it('escapes text that would otherwise turn into Markdown', () => {
    expect(htmlToMarkdown('<p>2 * 3 = 6, a_b_c, [not a link], `tick`</p>')).toBe('2 \\* 3 = 6, a\\_b\\_c, \\[not a link\\], \\`tick\\`\n');
    expect(htmlToMarkdown('<p># not a heading</p><p>- not a list</p><p>1. not a list</p>')).toBe(
      '\\# not a heading\n\n\\- not a list\n\n1\\. not a list\n',
    );
    expect(htmlToMarkdown('<p><code>a`b</code></p>')).toBe('``a`b``\n');
    expect(htmlToMarkdown('<p><strong> spaced </strong>word</p>')).toBe('**spaced** word\n');
    expect(htmlToMarkdown('')).toBe('');
  });
});

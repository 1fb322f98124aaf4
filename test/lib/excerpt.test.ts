import { describe, expect, it } from 'vitest';
import { shorten } from '../../src/lib/excerpt.js';

describe('shorten', () => {
  it('cuts long text at a word, whatever whitespace the text has, reading only its opening', () => {
    const words = Array.from({ length: 3000 }, (_, i) => `word${i}`);
    const plain = words.join(' ');
    const expected = shorten(plain, 240);
    expect(expected).toMatch(/^word0 word1 .* word\d+…$/);
    expect(expected.length).toBeLessThanOrEqual(241);
    // The same words with runs of spaces, tabs and newlines give the same excerpt.
    expect(shorten(words.join(' \n\t  '), 240)).toBe(expected);
    expect(shorten(`\n\n   ${words.join('\n\n')}`, 240)).toBe(expected);
  });

  it('looks past an opening that is nearly all whitespace', () => {
    const text = `${' '.repeat(5000)}A short text after a lot of space.${' '.repeat(5000)}And more after it.`;
    expect(shorten(text, 240)).toBe('A short text after a lot of space. And more after it.');
    expect(shorten(`${'\n'.repeat(2000)}${'lorem '.repeat(100)}`, 40)).toBe('lorem lorem lorem lorem lorem lorem…');
  });

  it('keeps short text whole', () => {
    expect(shorten('  Just  a few\nwords. ', 240)).toBe('Just a few words.');
  });
});

import type { Post } from '../db/posts.js';

const EXCERPT_LENGTH = 240;

/** The writer's excerpt, or the opening of the post's text cut at a word boundary. */
export function excerptOf(post: Pick<Post, 'excerpt' | 'text'>): string {
  const own = post.excerpt.replace(/\s+/g, ' ').trim();
  if (own) return own;
  return shorten(post.text, EXCERPT_LENGTH);
}

/** Plain text cut to about `length` characters, at a space where there is one, with an ellipsis. */
export function shorten(text: string, length: number): string {
  // Only the opening is flattened: a listing page shows ten excerpts, and flattening whole posts
  // of thousands of words for them cost more than the rest of the page. Whitespace runs only
  // shrink, so four times `length` characters of text give the same first `length` characters as
  // the whole would, unless the opening is nearly all whitespace; then the whole text is used.
  const opening = length * 4;
  let flat = text.slice(0, opening).replace(/\s+/g, ' ').trim();
  if (flat.length <= length && text.length > opening) flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= length) return flat;
  let cut = flat.slice(0, length);
  const space = cut.lastIndexOf(' ');
  // Languages written without spaces (Japanese, Thai) have no word boundary to find: cut anywhere.
  if (space > length * 0.6) cut = cut.slice(0, space);
  // Never leave half of a surrogate pair (an emoji, a rare CJK character) at the end.
  cut = cut.replace(/[\uD800-\uDBFF]$/, '');
  return cut.replace(/[\s,;:.–—-]+$/, '') + '…';
}

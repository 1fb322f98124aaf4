/**
 * "Café au lait: a love story!" → "cafe-au-lait-a-love-story". Letters and digits of any
 * script are kept (a Greek or Japanese title still gets a readable slug); accents are folded.
 */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
}

/** Slugs a writer types are cleaned the same way; empty means "derive from the title". */
export function cleanSlug(input: string | undefined): string {
  return slugify(input ?? '');
}

import { raw } from 'hono/html';

/**
 * The one place post HTML enters a page unescaped. It takes only what is stored in
 * posts.html / revisions.html, which is written exclusively through sanitizePostHtml.
 */
export function trustedHtml(sanitizedHtml: string) {
  return raw(sanitizedHtml);
}

// sanitize-html, loaded on first use. With htmlparser2 and postcss underneath it adds about
// 13 MB to the process and 50 ms to its start, and a server answering readers' pages needs it
// only for feeds and pictures; saves, imports and exports load it when they first run. It is
// a CommonJS package, so require() loads it in place and every caller stays synchronous.
import { createRequire } from 'node:module';
import type Library from 'sanitize-html';

export type Attributes = Library.Attributes;
export type IOptions = Library.IOptions;

const require = createRequire(import.meta.url);
let library: typeof Library | undefined;

export function sanitizeHtml(html: string, options?: IOptions): string {
  library ??= require('sanitize-html') as typeof Library;
  return library(html, options);
}

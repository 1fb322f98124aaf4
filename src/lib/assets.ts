import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Asset {
  body: Uint8Array;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Static files are read into memory once and served under a URL carrying a hash of their
 * content, so browsers may cache them forever (`immutable`) and a deploy changes the URL.
 * Lookups go through this map only: a request can never name a file outside it.
 */
export class Assets {
  private readonly byUrl = new Map<string, Asset>();
  private readonly urlByName = new Map<string, string>();

  constructor(dir: string) {
    this.load(dir, '');
  }

  private load(dir: string, prefix: string): void {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const name = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        this.load(path.join(dir, entry.name), name);
        continue;
      }
      const ext = path.extname(entry.name);
      const contentType = CONTENT_TYPES[ext];
      if (!entry.isFile() || !contentType) continue;
      const body = readFileSync(path.join(dir, entry.name));
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
      const url = `/static/${name.slice(0, -ext.length)}.${hash}${ext}`;
      this.byUrl.set(url, { body, contentType, etag: `"${hash}"` });
      this.urlByName.set(name, url);
    }
  }

  /** The hashed URL for a file under static/, e.g. url('app.css'). */
  url(name: string): string {
    const url = this.urlByName.get(name);
    if (!url) throw new Error(`Unknown static asset: ${name} (did the build copy it?)`);
    return url;
  }

  get(url: string): Asset | undefined {
    return this.byUrl.get(url);
  }
}

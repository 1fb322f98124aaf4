import type { Author } from '../../src/db/posts.js';
import type { Chrome } from '../layout.js';
import { PublicFrame } from './frame.js';

export interface AboutPageProps {
  chrome: Chrome;
  publicUrl: string;
  description: string;
  /** Plain text; blank lines separate paragraphs. */
  about: string;
  authors: Author[];
}

export function AboutPage({ chrome, publicUrl, description, about, authors }: AboutPageProps) {
  const paragraphs = about
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return (
    <PublicFrame chrome={chrome} publicUrl={publicUrl} meta={{ title: `About ${chrome.siteTitle}`, description: description || `About ${chrome.siteTitle} and its writers.`, path: '/about' }}>
      <h1>About {chrome.siteTitle}</h1>
      {paragraphs.length > 0 ? (
        paragraphs.map((paragraph) => (
          <p>
            {paragraph.split('\n').map((line, i) => (
              <>
                {i > 0 ? <br /> : null}
                {line}
              </>
            ))}
          </p>
        ))
      ) : description ? (
        <p>{description}</p>
      ) : null}
      {authors.length > 0 ? (
        <section aria-labelledby="writers">
          <h2 id="writers">Writers</h2>
          <ul class="index-list">
            {authors.map((author) => (
              <li>
                <a href={`/authors/${author.slug}`}>{author.name}</a>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </PublicFrame>
  );
}

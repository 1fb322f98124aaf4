import { Layout, type Chrome } from './layout.js';

export interface ErrorPageProps {
  chrome: Chrome;
  status: number;
  title: string;
  message: string;
}

export function ErrorPage({ chrome, status, title, message }: ErrorPageProps) {
  return (
    <Layout chrome={chrome} title={title} meta={{ noindex: true }}>
      <article class="error-page">
        <h1>{title}</h1>
        <p>{message}</p>
        <p class="muted">
          {status === 404 ? (
            <>
              Go to the <a href="/">home page</a> or <a href="/search">search</a>.
            </>
          ) : (
            <a href="/">Back to the home page</a>
          )}
        </p>
      </article>
    </Layout>
  );
}

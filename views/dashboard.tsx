import type { Post } from '../src/db/posts.js';
import { formatDateTime } from '../src/lib/time.js';
import { Layout, Notice, type Chrome } from './layout.js';

export interface DashboardProps {
  chrome: Chrome;
  posts: Post[];
  query: string;
  /** Owners see everyone's posts, with the author named. */
  showAuthors: boolean;
  trash: boolean;
  message?: string;
}

const STATUS_LABEL = { draft: 'Draft', scheduled: 'Scheduled', published: 'Published' } as const;

export function StatusBadge({ post }: { post: Pick<Post, 'status' | 'publishedAt'> }) {
  return (
    <span class={`badge badge-${post.status}`}>
      {STATUS_LABEL[post.status]}
      {post.status === 'scheduled' && post.publishedAt ? ` for ${formatDateTime(post.publishedAt)}` : ''}
    </span>
  );
}

export function DashboardPage({ chrome, posts, query, showAuthors, trash, message }: DashboardProps) {
  const groups: { title: string; posts: Post[] }[] = trash
    ? [{ title: 'Trash', posts }]
    : [
        { title: 'Drafts', posts: posts.filter((p) => p.status === 'draft') },
        { title: 'Scheduled', posts: posts.filter((p) => p.status === 'scheduled') },
        { title: 'Published', posts: posts.filter((p) => p.status === 'published') },
      ];
  return (
    <Layout chrome={chrome} title={trash ? 'Trash' : 'Your posts'} meta={{ noindex: true }} wide>
      <div class="dashboard-head">
        <h1>{trash ? 'Trash' : showAuthors ? 'All posts' : 'Your posts'}</h1>
        {trash ? null : (
          <form method="post" action="/write/new" class="inline">
            <button type="submit" class="primary">
              New post
            </button>
          </form>
        )}
      </div>
      {message ? <Notice kind="success">{message}</Notice> : null}
      {trash ? (
        <p class="muted">
          Deleted posts stay here for 30 days, then they are removed for good. <a href="/write">Back to your posts</a>.
        </p>
      ) : (
        <form method="get" action="/write" class="inline-form filter" role="search">
          <label for="q" class="visually-hidden">
            Filter by title
          </label>
          <input type="search" id="q" name="q" value={query} placeholder="Filter by title" />
          <button type="submit" class="secondary">
            Filter
          </button>
          {query ? <a href="/write">Clear</a> : null}
        </form>
      )}
      {posts.length === 0 ? (
        <p class="empty">
          {query ? `No post titles contain “${query}”.` : trash ? 'The trash is empty.' : 'Nothing here yet. Press “New post” to start writing.'}
        </p>
      ) : null}
      {groups
        .filter((g) => g.posts.length > 0)
        .map((group) => (
          <section>
            <h2>
              {group.title} <span class="count">({group.posts.length})</span>
            </h2>
            <table class="posts">
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  {showAuthors ? <th scope="col">Author</th> : null}
                  <th scope="col">Status</th>
                  <th scope="col">Last edited</th>
                  <th scope="col" class="num">
                    Words
                  </th>
                  {trash ? (
                    <th scope="col">
                      <span class="visually-hidden">Action</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {group.posts.map((post) => (
                  <tr>
                    <td>
                      {trash ? (
                        <span>{post.title || 'Untitled'}</span>
                      ) : (
                        <a href={`/write/${post.id}`}>{post.title || 'Untitled'}</a>
                      )}
                    </td>
                    {showAuthors ? <td>{post.author.name}</td> : null}
                    <td>
                      <StatusBadge post={post} />
                    </td>
                    <td>
                      <time datetime={new Date(post.updatedAt).toISOString()}>{formatDateTime(post.updatedAt)}</time>
                    </td>
                    <td class="num">{post.wordCount.toLocaleString('en')}</td>
                    {trash ? (
                      <td>
                        <form method="post" action={`/write/${post.id}/restore`} class="inline">
                          <button type="submit" class="link">
                            Restore
                          </button>
                        </form>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      {trash ? null : (
        <p>
          <a href="/write/trash">Trash</a>
        </p>
      )}
    </Layout>
  );
}

// `npm run quire -- <command>`: works on the same DATA_DIR whether or not the server runs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { boot } from './boot.js';
import { ConfigError, dataDirFromEnv, type Config } from './config.js';
import { readMigrations, type Db } from './db/database.js';
import { createInvite } from './auth/invites.js';
import { RECOVERY_LINK_LIFETIME, issueRecoveryLink } from './auth/recovery-links.js';
import { authorForUser, createDraft, postPath, publishPost, savePostContent } from './db/posts.js';
import { getUserByUsername, listUsers, type User } from './db/users.js';
import { extractDataImagesInJson, mediaDirectory } from './lib/media-store.js';
import { describeImport, importGhost, ImportError, MAX_IMPORT_BYTES, plaintextToHtml } from './import/ghost.js';
import { writeTarGz } from './lib/archive.js';
import { systemClock } from './lib/clock.js';
import { projectRoot } from './lib/paths.js';
import { BackupError, createBackup, restoreBackup } from './ops/backup.js';
import { buildBlogExport } from './ops/export.js';
import { readPostContent } from './routes/write.js';

interface Command {
  usage: string;
  summary: string;
  /** Set for commands that must not open (and so create) the database first: restore needs DATA_DIR untouched. */
  withoutDatabase?: false;
  run(args: string[], ctx: { db: Db; config: Config }): Promise<number> | number;
}

interface CommandWithoutDatabase {
  usage: string;
  summary: string;
  withoutDatabase: true;
  run(args: string[]): Promise<number> | number;
}

/** One positional argument, or a usage message and null. */
function onePath(positionals: string[], usage: string): string | null {
  if (positionals.length !== 1 || !positionals[0]) {
    console.error(`Usage: npm run quire -- ${usage}`);
    return null;
  }
  return path.resolve(positionals[0]);
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Whose byline a post made on the command line carries: --author, else the blog's first owner. */
function cliAuthor(db: Db, username: string | undefined): User | string {
  if (username) return getUserByUsername(db, username) ?? `No account has the username "${username}" (usernames are on the Members page).`;
  const owner = listUsers(db)
    .filter((u) => u.role === 'owner')
    .sort((a, b) => a.id - b.id)[0];
  return owner ?? 'This blog has no accounts yet: create the owner account first (npm run quire -- invite --owner), or name one with --author.';
}

const commands: Record<string, Command | CommandWithoutDatabase> = {
  invite: {
    usage: 'invite [--owner]',
    summary: 'Print a new one-time invite link (writer by default; --owner for an owner), valid 72 hours.',
    run(args, { db, config }) {
      const { values } = parseArgs({ args, options: { owner: { type: 'boolean', default: false } } });
      const invite = createInvite(db, config.publicUrl, values.owner ? 'owner' : 'writer', null, systemClock.now());
      console.log(invite.link);
      return 0;
    },
  },
  'recovery-link': {
    usage: 'recovery-link <username>',
    summary: `Print a one-time recovery link for an account, valid ${RECOVERY_LINK_LIFETIME / 3_600_000} hours: a new password, other sessions, authenticator app and recovery codes revoked.`,
    run(args, { db, config }) {
      const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
      const username = positionals[0];
      if (!username || positionals.length > 1) {
        console.error('Usage: npm run quire -- recovery-link <username>   (usernames are on the Members page)');
        return 2;
      }
      const user = getUserByUsername(db, username);
      if (!user) {
        console.error(`No account has the username "${username}".`);
        return 1;
      }
      // Make sure, outside Quire, that the person asking really is this writer: the link hands over the account.
      const issued = issueRecoveryLink(db, config.publicUrl, user, null, systemClock.now());
      console.error(`Recovery link for ${user.displayName} (${user.username}), valid until ${new Date(issued.expiresAt).toISOString()}. It works once; any earlier link stops working.`);
      console.log(issued.link);
      return 0;
    },
  },
  'new-post': {
    usage: 'new-post --title <title> [--body <text>|-] [--tags a,b] [--author <username>] [--publish]',
    summary:
      'Create a post (a draft, or published with --publish) under the first owner\'s byline or --author\'s. The body is plain text, paragraphs separated by blank lines; "-" reads it from stdin. Prints its address.',
    run(args, { db, config }) {
      const { values } = parseArgs({
        args,
        options: {
          title: { type: 'string' },
          body: { type: 'string', default: '' },
          tags: { type: 'string', default: '' },
          author: { type: 'string' },
          publish: { type: 'boolean', default: false },
        },
      });
      if (!values.title?.trim()) {
        console.error('Usage: npm run quire -- new-post --title <title> [--body <text>|-] [--tags a,b] [--author <username>] [--publish]');
        return 2;
      }
      const user = cliAuthor(db, values.author);
      if (typeof user === 'string') {
        console.error(user);
        return 1;
      }
      const body = values.body === '-' ? readFileSync(0, 'utf8') : values.body;
      // The same path as the editor's save: the HTML is sanitized, the slug follows the title.
      const content = readPostContent({ title: values.title, html: plaintextToHtml(body), tags: values.tags }, config.origin);
      const now = systemClock.now();
      const post = db.transaction(() => {
        const draft = createDraft(db, authorForUser(db, user), now);
        const saved = savePostContent(db, { id: draft.id, baseRevision: draft.revision, userId: user.id, now, ...content });
        if (!saved.ok) throw new Error('the new post could not be saved');
        if (values.publish) publishPost(db, draft.id, now);
        return saved.post;
      }).immediate();
      console.error(`${values.publish ? 'Published' : 'Draft saved'}: “${post.title}” by ${user.displayName}.`);
      console.log(values.publish ? config.publicUrl + postPath(post) : `${config.publicUrl}/write/${post.id}`);
      return 0;
    },
  },
  import: {
    usage: 'import ghost <export.json>|- [--author <username>]',
    summary:
      'Import a Ghost JSON export (Ghost → Settings → Labs → Export; "-" reads it from stdin): posts and pages with their dates, status, slugs, bylines and tags; old addresses redirect. Importing the same file again adds nothing. --author: the byline for posts whose Ghost author is unknown.',
    async run(args, { db, config }) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { author: { type: 'string' } } });
      if (positionals[0] !== 'ghost' || positionals.length !== 2 || !positionals[1]) {
        console.error(`Usage: npm run quire -- ${this.usage}${positionals[0] !== 'ghost' ? '   (Ghost is the only source so far)' : ''}`);
        return 2;
      }
      const user = values.author ? cliAuthor(db, values.author) : null;
      if (typeof user === 'string') {
        console.error(user);
        return 1;
      }
      const tooLarge = (name: string, size: number) =>
        `${name} is ${megabytes(size)}; Quire imports Ghost exports of up to ${megabytes(MAX_IMPORT_BYTES)}. Nothing was imported.`;
      let input: Buffer;
      if (positionals[1] === '-') {
        // From stdin, e.g. `podman exec -i quire node dist/src/cli.js import ghost - < export.json`.
        input = readFileSync(0);
        if (input.length > MAX_IMPORT_BYTES) {
          console.error(tooLarge('The export', input.length));
          return 1;
        }
      } else {
        const file = path.resolve(positionals[1]);
        if (!existsSync(file)) {
          console.error(`${file} does not exist.`);
          return 1;
        }
        // Checked before reading, so a wrong multi-gigabyte file is never loaded.
        const size = statSync(file).size;
        if (size > MAX_IMPORT_BYTES) {
          console.error(tooLarge(file, size));
          return 1;
        }
        input = readFileSync(file);
      }
      try {
        const now = systemClock.now();
        // Pictures embedded as data: URLs become media files first (async, outside the import's transaction).
        const { json, stored } = await extractDataImagesInJson(input, { db, dataDir: config.dataDir, now, userId: null });
        if (stored > 0) console.error(`${stored} embedded picture${stored === 1 ? '' : 's'} saved as media file${stored === 1 ? '' : 's'}.`);
        // One transaction around both, so a bad file does not even leave a new byline behind.
        const report = db
          .transaction(() => importGhost(db, json, { publicOrigin: config.origin, now, fallbackAuthor: user ? authorForUser(db, user) : undefined }))
          .immediate();
        for (const line of describeImport(report)) console.log(line);
        return 0;
      } catch (error) {
        if (!(error instanceof ImportError)) throw error;
        console.error(error.message);
        return 1;
      }
    },
  },
  export: {
    usage: 'export <file.tar.gz>',
    summary: 'Write every post and page as Markdown with front matter and as HTML, plus blog.json, with the pictures they show, into one .tar.gz (accounts are only in `backup`).',
    async run(args, { db, config }) {
      const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
      const file = onePath(positionals, this.usage);
      if (!file) return 2;
      if (existsSync(file)) {
        console.error(`${file} already exists; choose a new file name. Nothing was written.`);
        return 1;
      }
      const now = systemClock.now();
      const started = performance.now();
      const blog = buildBlogExport(db, config.publicUrl, now, mediaDirectory(config.dataDir));
      const bytes = await writeTarGz(file, blog.entries, now);
      console.error(
        `Exported ${blog.posts} posts, ${blog.pages} pages and ${blog.trashed} in the trash: ${megabytes(bytes)} in ${((performance.now() - started) / 1000).toFixed(1)} s.`,
      );
      console.log(file);
      return 0;
    },
  },
  backup: {
    usage: 'backup <file.tar.gz>',
    summary:
      'Write a consistent snapshot of the database (taken while the server keeps running) and the uploaded files into one .tar.gz. Restore it with `restore`.',
    async run(args, { db, config }) {
      const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
      const file = onePath(positionals, this.usage);
      if (!file) return 2;
      try {
        const result = await createBackup(db, config.dataDir, file, systemClock.now());
        console.error(
          `Backup written: ${megabytes(result.bytes)}, database version ${result.schemaVersion}, ${result.mediaFiles} uploaded file${result.mediaFiles === 1 ? '' : 's'}, in ${(result.ms / 1000).toFixed(1)} s.`,
        );
        if (!result.includesKey) {
          console.error('The key (QUIRE_SECRET or QUIRE_SECRET_FILE) is not in the backup: keep it safe separately; a restore needs it.');
        }
        console.log(result.file);
        return 0;
      } catch (error) {
        if (!(error instanceof BackupError)) throw error;
        console.error(`No backup was made: ${error.message}`);
        return 1;
      }
    },
  },
  restore: {
    usage: 'restore <file.tar.gz>',
    summary: 'Unpack a backup into DATA_DIR, which must be empty (a new folder or volume). Start Quire afterwards, with the same key.',
    withoutDatabase: true,
    async run(args) {
      const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
      const file = onePath(positionals, this.usage);
      if (!file) return 2;
      // Not boot(): that would create a database and a key in DATA_DIR, which must stay empty.
      const dataDir = dataDirFromEnv(process.env);
      const latestSchemaVersion = readMigrations(path.join(projectRoot(), 'migrations')).length;
      try {
        const result = await restoreBackup(file, dataDir, { latestSchemaVersion });
        console.error(
          `Restored into ${dataDir}: database version ${result.schemaVersion}${result.schemaVersion < latestSchemaVersion ? ` (upgraded to ${latestSchemaVersion} when Quire starts)` : ''}, ${result.mediaFiles} uploaded file${result.mediaFiles === 1 ? '' : 's'}.`,
        );
        if (!result.includesKey) {
          console.error('Start Quire with the key the blog had (QUIRE_SECRET or QUIRE_SECRET_FILE): without it, authenticator-app sign-ins and sessions do not carry over.');
        }
        return 0;
      } catch (error) {
        if (!(error instanceof BackupError)) throw error;
        console.error(`Nothing was restored: ${error.message}`);
        return 1;
      }
    },
  },
};

/** Words wrapped to `width` columns, each line indented. */
function wrap(text: string, indent: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

function help(): void {
  console.log('Usage: npm run quire -- <command> [options]\n\nCommands:');
  console.log(`  help\n${wrap('Show this list.', '      ')}`);
  for (const command of Object.values(commands)) console.log(`  ${command.usage}\n${wrap(command.summary, '      ')}`);
  console.log('\nThe same environment as the server applies (DATA_DIR, PUBLIC_URL, QUIRE_SECRET…).');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    help();
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`Unknown command "${name}".`);
    help();
    return 2;
  }
  if (command.withoutDatabase) return command.run(args);
  // Status messages (migrations, a generated key) go to stderr so stdout stays scriptable.
  const { db, config } = boot(process.env, (line) => console.error(line));
  try {
    return await command.run(args, { db, config });
  } finally {
    db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A person reads this: the message, not a stack (bad flags, bad config, a missing file).
    console.error(`quire: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof ConfigError) && process.env.QUIRE_DEBUG) console.error(error);
    // An unknown or malformed option is a usage mistake, like a missing argument.
    process.exit(String((error as NodeJS.ErrnoException).code ?? '').startsWith('ERR_PARSE_ARGS') ? 2 : 1);
  },
);

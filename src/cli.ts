// `npm run quire -- <command>`: works on the same DATA_DIR whether or not the server runs.
import { parseArgs } from 'node:util';
import { boot } from './boot.js';
import { ConfigError, type Config } from './config.js';
import type { Db } from './db/database.js';
import { createInvite } from './auth/invites.js';
import { RECOVERY_LINK_LIFETIME, issueRecoveryLink } from './auth/recovery-links.js';
import { getUserByUsername } from './db/users.js';
import { systemClock } from './lib/clock.js';

interface Command {
  usage: string;
  summary: string;
  run(args: string[], ctx: { db: Db; config: Config }): Promise<number> | number;
}

const commands: Record<string, Command> = {
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
};

function help(): void {
  console.log('Usage: npm run quire -- <command> [options]\n\nCommands:');
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length), 4) + 2;
  console.log(`  ${'help'.padEnd(width)}Show this list.`);
  for (const command of Object.values(commands)) console.log(`  ${command.usage.padEnd(width)}${command.summary}`);
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
    process.exit(1);
  },
);

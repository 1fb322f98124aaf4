// The one entry point: read config, open the database, migrate, serve.
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { createInvite } from './auth/invites.js';
import { boot } from './boot.js';
import { ConfigError } from './config.js';
import { revokePendingSetupInvites } from './db/invites.js';
import { countUsers } from './db/users.js';
import { systemClock } from './lib/clock.js';
import { logError, logInfo } from './lib/log.js';
import { createServerWithPageCache, PageCache } from './lib/page-cache.js';
import { startBackgroundJobs } from './jobs.js';

function main(): void {
  let booted;
  try {
    booted = boot();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Quire cannot start: ${error.message}`);
    } else {
      console.error(`Quire cannot start: ${(error as Error).message}`);
    }
    process.exit(1);
  }
  const { config, db } = booted;
  const clock = systemClock;
  const pageCache = new PageCache();
  const app = createApp({ db, config, clock, pageCache });

  // First run: nobody can sign in yet, so print a one-time link that creates the first owner.
  if (countUsers(db) === 0) {
    revokePendingSetupInvites(db, clock.now());
    const invite = createInvite(db, config.publicUrl, 'owner', null, clock.now());
    logInfo(`Quire has no accounts yet. Open this one-time link within 72 hours to create the owner account: ${invite.link}`);
  }

  const stopJobs = startBackgroundJobs({ db, clock, dataDir: config.dataDir, backupHours: config.backupHours });
  const server = serve(
    // Public pages already rendered are sent from memory before the app sees the request.
    { fetch: app.fetch, port: config.port, hostname: config.host, createServer: createServerWithPageCache(pageCache, db, config) },
    (info) => {
      logInfo(`Quire is listening on http://${info.address}:${info.port} (public address ${config.publicUrl})`);
    },
  ) as Server;
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(
      error.code === 'EADDRINUSE'
        ? `Quire cannot start: port ${config.port} on ${config.host} is already in use. Set PORT to a free port.`
        : `Quire cannot start: ${error.message}`,
    );
    process.exit(1);
  });

  // podman stop sends SIGTERM: stop accepting, let requests in flight finish, close the
  // database (checkpointing the WAL), then exit — well inside the 10 s before SIGKILL.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logInfo(`${signal} received: finishing requests and closing the database.`);
    stopJobs();
    const force = setTimeout(() => {
      logInfo('Requests did not finish within 8 s; closing anyway.');
      server.closeAllConnections();
    }, 8_000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      try {
        db.close();
      } catch (error) {
        logError(error);
      }
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main();

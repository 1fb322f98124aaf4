import path from 'node:path';
import { loadConfig, type Config } from './config.js';
import { migrate, openDatabase, readMigrations, type Db } from './db/database.js';

/** Shared by the server and the CLI: read config, open the database, bring it up to date. */
export function boot(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = (l) => console.log(l)): { config: Config; db: Db } {
  const config = loadConfig(env, log);
  const db = openDatabase(path.join(config.dataDir, 'quire.db'));
  try {
    const { from, to } = migrate(db, readMigrations(config.migrationsDir));
    if (from !== to) log(`Database migrated from version ${from} to ${to}.`);
  } catch (error) {
    db.close();
    throw error;
  }
  return { config, db };
}

import { sql, type Db } from './database.js';

export interface BlogSettings {
  title: string;
  description: string;
  language: string;
  about: string;
}

export const DEFAULT_SETTINGS: BlogSettings = {
  title: 'Quire',
  description: 'A blog written by a small group of writers.',
  language: 'en',
  about: '',
};

export function getSettings(db: Db): BlogSettings {
  const rows = sql<[], { key: string; value: string }>(db, 'SELECT key, value FROM settings').all();
  const settings = { ...DEFAULT_SETTINGS };
  for (const { key, value } of rows) {
    if (key in settings) settings[key as keyof BlogSettings] = value;
  }
  return settings;
}

export function saveSettings(db: Db, settings: BlogSettings): void {
  const upsert = sql(db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  db.transaction(() => {
    for (const [key, value] of Object.entries(settings)) upsert.run(key, value);
  }).immediate();
}

import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { TEST_SECRET, tempDir } from './helpers.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir, QUIRE_SECRET: TEST_SECRET }, () => {});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.rpId).toBe('localhost');
    expect(config.secureCookies).toBe(false);
  });

  it('takes PUBLIC_URL as an origin and turns on secure cookies for https', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), QUIRE_SECRET: TEST_SECRET, PUBLIC_URL: 'https://blog.example.org/' }, () => {});
    expect(config.origin).toBe('https://blog.example.org');
    expect(config.secureCookies).toBe(true);
    expect(config.rpId).toBe('blog.example.org');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://example.org' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://example.org/blog' }, 'PUBLIC_URL'],
    [{ QUIRE_SECRET: 'short' }, 'QUIRE_SECRET'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
  ])('stops on %o naming %s', (env, variable) => {
    const attempt = () => loadConfig({ DATA_DIR: tempDir(), QUIRE_SECRET: TEST_SECRET, ...env }, () => {});
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`^${variable}:`));
  });

  it('refuses to start in production without a key, saying what to set', () => {
    const attempt = () => loadConfig({ DATA_DIR: tempDir(), NODE_ENV: 'production' }, () => {});
    expect(attempt).toThrow(/QUIRE_SECRET.*QUIRE_SECRET_FILE/s);
  });

  it('generates a key with mode 0600 outside production, says so, and reuses it', () => {
    const dataDir = tempDir();
    const lines: string[] = [];
    const first = loadConfig({ DATA_DIR: dataDir }, (line) => lines.push(line));
    const keyFile = path.join(dataDir, 'secret.key');
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(lines.join('\n')).toMatch(/generated a key/);
    const second = loadConfig({ DATA_DIR: dataDir }, () => {});
    expect(second.secret.equals(first.secret)).toBe(true);
  });

  it('reads the key from QUIRE_SECRET_FILE and names a missing file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'key');
    writeFileSync(file, TEST_SECRET + '\n');
    const config = loadConfig({ DATA_DIR: dir, QUIRE_SECRET_FILE: file }, () => {});
    expect(config.secret.toString()).toBe(TEST_SECRET);
    expect(() => loadConfig({ DATA_DIR: dir, QUIRE_SECRET_FILE: path.join(dir, 'missing') }, () => {})).toThrow(
      /^QUIRE_SECRET_FILE: cannot read/,
    );
    expect(readFileSync(file, 'utf8')).toContain(TEST_SECRET);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArchiveError, createTarGz, extractTarGz, readTarGz, writeTarGz } from '../../src/lib/archive.js';
import { tempDir } from '../helpers.js';

const hasTar = (() => {
  try {
    execFileSync('tar', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const longName = `posts/${'a'.repeat(90)}/${'b'.repeat(80)}.md`;

describe('tar.gz writer and reader', () => {
  it('round-trips text, binary, empty, long-named and streamed files', async () => {
    const dir = tempDir();
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    writeFileSync(path.join(dir, 'photo.bin'), binary);
    const file = path.join(dir, 'out.tar.gz');
    const size = await writeTarGz(file, [
      { name: 'hello.txt', data: 'Grüße, world\n' },
      { name: 'empty', data: '' },
      { name: longName, data: '# long' },
      { name: 'media/2026/photo.bin', path: path.join(dir, 'photo.bin') },
    ]);
    expect(size).toBe(statSync(file).size);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).not.toContain('out.tar.gz.partial');

    const entries = readTarGz(readFileSync(file));
    expect(entries.map((e) => e.name)).toEqual(['hello.txt', 'empty', longName, 'media/2026/photo.bin']);
    expect(entries[0]!.data.toString('utf8')).toBe('Grüße, world\n');
    expect(entries[1]!.data.length).toBe(0);
    expect(entries[3]!.data.equals(binary)).toBe(true);

    const out = tempDir();
    expect(await extractTarGz(file, out)).toHaveLength(4);
    expect(readFileSync(path.join(out, 'media/2026/photo.bin')).equals(binary)).toBe(true);
    expect(statSync(path.join(out, 'hello.txt')).mode & 0o777).toBe(0o600);
  });

  it.skipIf(!hasTar)('is read by GNU tar, and reads what GNU tar writes', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'ours.tar.gz');
    await writeTarGz(file, [
      { name: 'a/b.txt', data: 'bee' },
      { name: longName, data: 'long' },
    ]);
    expect(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n')).toEqual(['a/b.txt', longName]);
    const unpacked = path.join(dir, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', file, '-C', unpacked]);
    expect(readFileSync(path.join(unpacked, longName), 'utf8')).toBe('long');

    const theirs = path.join(dir, 'theirs.tar.gz');
    execFileSync('tar', ['--format=ustar', '-czf', theirs, '-C', unpacked, 'a']);
    const entries = readTarGz(readFileSync(theirs));
    expect(entries.map((e) => `${e.type}:${e.name}`)).toEqual(['directory:a', 'file:a/b.txt']);
    expect(entries[1]!.data.toString()).toBe('bee');
  });

  it('keeps the content of an in-memory archive byte for byte', async () => {
    const archive = await createTarGz([{ name: 'x/y.json', data: '{"a":1}' }]);
    expect(readTarGz(archive).map((e) => [e.name, e.data.toString()])).toEqual([['x/y.json', '{"a":1}']]);
  });

  it('refuses unsafe names when writing', async () => {
    for (const name of ['../evil', '/etc/passwd', 'a/../../b', 'a//b', 'a\\b']) {
      await expect(createTarGz([{ name, data: 'x' }])).rejects.toThrow(/Unsafe archive entry name/);
    }
  });

  it('refuses archives that would write outside the folder, links, and damaged or cut-short files', async () => {
    const tarWith = (name: string, type = '0', content = 'x') => {
      const header = Buffer.alloc(512);
      header.write(name, 0);
      header.write('0000644\0', 100);
      header.write(content.length.toString(8).padStart(11, '0') + '\0', 124);
      header.write('00000000000\0', 136);
      header.write('        ', 148);
      header.write(type, 156);
      header.write('ustar\x0000', 257);
      let sum = 0;
      for (const b of header) sum += b;
      header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
      const body = Buffer.alloc(512);
      body.write(content);
      return Buffer.concat([header, body, Buffer.alloc(1024)]);
    };
    expect(readTarGz(gzipSync(tarWith('fine.txt')))[0]!.data.toString()).toBe('x');
    expect(() => readTarGz(gzipSync(tarWith('../../etc/cron.d/x')))).toThrow(/Unsafe archive entry name/);
    expect(() => readTarGz(gzipSync(tarWith('/abs')))).toThrow(/Unsafe/);
    expect(() => readTarGz(gzipSync(tarWith('link', '2')))).toThrow(/Unsupported entry type "2"/);

    const damaged = tarWith('fine.txt');
    damaged[10] = 65;
    expect(() => readTarGz(gzipSync(damaged))).toThrow(/checksum/);
    expect(() => readTarGz(gzipSync(tarWith('fine.txt').subarray(0, 700)))).toThrow(/incomplete/);
    expect(() => readTarGz(Buffer.from('not gzip at all'))).toThrow(ArchiveError);

    const dir = tempDir();
    const evil = path.join(dir, 'evil.tar.gz');
    writeFileSync(evil, gzipSync(tarWith('../escaped.txt')));
    const out = path.join(dir, 'out');
    mkdirSync(out);
    await expect(extractTarGz(evil, out)).rejects.toThrow(/Unsafe/);
    expect(readdirSync(dir).sort()).toEqual(['evil.tar.gz', 'out']);
    const junk = path.join(dir, 'junk.tar.gz');
    writeFileSync(junk, 'plain text');
    await expect(extractTarGz(junk, out)).rejects.toThrow(ArchiveError);
  });

  it('never overwrites a file that is already there', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.tar.gz');
    await writeTarGz(file, [{ name: 'same.txt', data: 'new' }]);
    writeFileSync(path.join(dir, 'same.txt'), 'old');
    await expect(extractTarGz(file, dir)).rejects.toThrow(/EEXIST/);
    expect(readFileSync(path.join(dir, 'same.txt'), 'utf8')).toBe('old');
  });

  it('stops reading a gzip bomb at the limit', () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => readTarGz(bomb, 1024)).toThrow(ArchiveError);
  });
});

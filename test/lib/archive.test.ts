import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createZip } from '../../src/lib/archive.js';
import { tempDir } from '../helpers.js';

/** A minimal reader that follows the central directory, as unzippers do. */
function readZip(zip: Buffer): Map<string, { data: Buffer; method: number; flags: number; date: number; time: number; mode: number }> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBe(zip.length - 22);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const time = zip.readUInt16LE(at + 12);
    const date = zip.readUInt16LE(at + 14);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    const localNameLength = zip.readUInt16LE(local + 26);
    const body = zip.subarray(local + 30 + localNameLength, local + 30 + localNameLength + compressed);
    const data = method === 8 ? inflateRawSync(body) : Buffer.from(body);
    expect(data.length).toBe(size);
    expect(crc32(data)).toBe(crc);
    files.set(name, { data, method, flags, date, time, mode });
    at += 46 + nameLength;
  }
  return files;
}

describe('zip archives', () => {
  const when = Date.UTC(2026, 10, 23, 9, 30, 14);
  const text = 'Hello, world!\n'.repeat(200);
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7919) % 256));

  it('round-trips text (deflated), incompressible data (stored), UTF-8 names and UTC times', () => {
    const zip = createZip(
      [
        { name: 'export/README.txt', data: text },
        { name: 'export/posts/001-café/post.md', data: '# Café ☕\n', modifiedAt: when },
        { name: 'export/random.bin', data: binary },
        { name: 'export/empty.txt', data: '' },
      ],
      when,
    );
    const files = readZip(zip);
    expect([...files.keys()]).toEqual(['export/README.txt', 'export/posts/001-café/post.md', 'export/random.bin', 'export/empty.txt']);
    expect(files.get('export/README.txt')!.data.toString()).toBe(text);
    expect(files.get('export/README.txt')!.method).toBe(8);
    expect(files.get('export/random.bin')!.data.equals(binary)).toBe(true);
    expect(files.get('export/random.bin')!.method).toBe(0);
    expect(files.get('export/posts/001-café/post.md')!.data.toString()).toBe('# Café ☕\n');
    expect(files.get('export/posts/001-café/post.md')!.flags & 0x0800).toBe(0x0800);
    expect(files.get('export/empty.txt')!.data.length).toBe(0);
    const { date, time, mode } = files.get('export/README.txt')!;
    expect([(date >> 9) + 1980, (date >> 5) & 15, date & 31, time >> 11, (time >> 5) & 63, (time & 31) * 2]).toEqual([2026, 11, 23, 9, 30, 14]);
    expect(mode).toBe(0o100644);
    // Same input, same bytes: archives are reproducible.
    expect(createZip([{ name: 'a.txt', data: 'x' }], when).equals(createZip([{ name: 'a.txt', data: 'x' }], when))).toBe(true);
  });

  it('refuses names that could escape the folder it is unpacked in, and duplicates', () => {
    for (const name of ['/etc/passwd', '../x', 'a/../../x', 'a\\b', 'a//b', '', 'a/./b', 'a\nb']) {
      expect(() => createZip([{ name, data: 'x' }]), JSON.stringify(name)).toThrow(/Unsafe archive entry name/);
    }
    expect(() => createZip([{ name: 'a', data: 'x' }, { name: 'a', data: 'y' }])).toThrow(/Duplicate/);
  });

  it('is read by independent unzippers (Python zipfile, Info-ZIP unzip)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'test.zip');
    writeFileSync(file, createZip([{ name: 'dir/a.txt', data: text }, { name: 'dir/b.bin', data: binary }, { name: 'dir/ü.md', data: 'ü' }], when));
    const python = '/usr/bin/python3';
    if (existsSync(python)) {
      const out = execFileSync(
        python,
        ['-c', 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint("\\n".join(f"{i.filename}:{i.file_size}" for i in z.infolist()))', file],
        { encoding: 'utf8' },
      );
      expect(out.trim().split('\n')).toEqual([`dir/a.txt:${text.length}`, 'dir/b.bin:256', 'dir/ü.md:2']);
    }
    if (existsSync('/usr/bin/unzip')) {
      expect(execFileSync('/usr/bin/unzip', ['-t', file], { encoding: 'utf8' })).toMatch(/No errors detected/);
    }
    expect(existsSync(python) || existsSync('/usr/bin/unzip')).toBe(true);
  });
});

// A small ZIP writer (PKWARE APPNOTE 6.3, the subset every unzipper reads) on node:zlib, so
// exports and backups need no dependency. Zip because every desktop opens it with a double-click.
// Whole archive in memory: fine for one writer's posts or a blog's text; not for media libraries
// beyond a few hundred MB (no ZIP64: entries and archive must stay under 4 GiB, 65,535 entries).
import { closeSync, createReadStream, createWriteStream, mkdirSync, openSync, writeSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createGunzip, createGzip, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';

export interface ArchiveEntry {
  /** Path inside the archive, with "/" separators, e.g. "posts/hello/post.md". */
  name: string;
  data: string | Uint8Array;
  /** Modification time (ms since the epoch); defaults to the archive's time. */
  modifiedAt?: number;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const VERSION = 20; // 2.0: deflate and folders
const MADE_BY_UNIX = (3 << 8) | VERSION; // so the permission bits below are read
const UTF8_NAMES = 0x0800; // general-purpose flag bit 11: names are UTF-8
const STORE = 0;
const DEFLATE = 8;
const FILE_MODE = 0o100644; // regular file, rw-r--r--
const LIMIT = 0xffffffff;

/** MS-DOS date and time (2-second resolution, 1980–2107), in UTC so archives are reproducible. */
function dosDateTime(ms: number): { date: number; time: number } {
  const d = new Date(Math.min(Math.max(ms, Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31, 23, 59, 58)));
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
  };
}

/**
 * Names are checked, not trusted: no absolute paths, no "..", no backslashes or empty segments,
 * so unpacking the archive can only ever create files under the folder it is unpacked in.
 */
export function checkEntryName(name: string): void {
  // eslint-disable-next-line no-control-regex
  if (!name || name.startsWith('/') || /[\\\u0000-\u001f]/.test(name) || name.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`Unsafe archive entry name: ${JSON.stringify(name)}`);
  }
}

export function createZip(entries: ArchiveEntry[], now = Date.now()): Buffer {
  if (entries.length > 0xffff) throw new Error(`Too many archive entries (${entries.length}); the limit is 65,535`);
  const seen = new Set<string>();
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;

  for (const entry of entries) {
    checkEntryName(entry.name);
    if (seen.has(entry.name)) throw new Error(`Duplicate archive entry name: ${entry.name}`);
    seen.add(entry.name);
    const name = Buffer.from(entry.name, 'utf8');
    const raw = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : Buffer.from(entry.data);
    const deflated = deflateRawSync(raw, { level: 9 });
    // Already-compressed data (images) would grow: store it as it is.
    const method = deflated.length < raw.length ? DEFLATE : STORE;
    const body = method === DEFLATE ? deflated : raw;
    if (raw.length >= LIMIT || offset >= LIMIT) throw new Error('Archive too large: ZIP64 is not supported');
    const crc = crc32(raw);
    const { date, time } = dosDateTime(entry.modifiedAt ?? now);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(MADE_BY_UNIX, 4);
    header.writeUInt16LE(VERSION, 6);
    header.writeUInt16LE(UTF8_NAMES, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt16LE(time, 12);
    header.writeUInt16LE(date, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(body.length, 20);
    header.writeUInt32LE(raw.length, 24);
    header.writeUInt16LE(name.length, 28);
    // extra field, comment, disk number, internal attributes: all zero (30–37)
    header.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
    header.writeUInt32LE(offset, 42);

    chunks.push(local, name, body);
    central.push(header, name);
    offset += local.length + name.length + body.length;
  }

  const directory = Buffer.concat(central);
  if (offset + directory.length >= LIMIT) throw new Error('Archive too large: ZIP64 is not supported');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, directory, end]);
}

// ── tar.gz ───────────────────────────────────────────────────────────────────
// POSIX ustar inside gzip, for backups and the blog export: streamed to and from disk, so a
// backup with a media library never has to fit in memory, and `tar -xzf` opens it anywhere.
// Only regular files and folders are written or read: no links, devices or PAX extensions.

/** A file to copy into the archive from disk, read as a stream when its turn comes. */
export interface ArchiveFile {
  name: string;
  path: string;
  /** Leave the entry out if the file is gone by the time it is read (e.g. an expired upload deleted meanwhile). */
  skipIfMissing?: boolean;
}

export type ArchiveSource = ArchiveEntry | ArchiveFile;

const BLOCK = 512;
const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);
const MAX_TAR_SIZE = 8 ** 11 - 1; // 11 octal digits: 8 GiB per file

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  header.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

/** ustar keeps 100 bytes of name plus a 155-byte prefix, split at a "/". */
function splitName(name: string): { prefix: string; base: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', base: name };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100) return { prefix, base };
  }
  throw new Error(`Archive entry name too long for tar: ${name}`);
}

function tarHeader(name: string, size: number, modifiedAt: number, type: '0' | '5' = '0'): Buffer {
  checkEntryName(name);
  if (size > MAX_TAR_SIZE) throw new Error(`${name} is larger than tar's 8 GiB limit`);
  const { prefix, base } = splitName(type === '5' ? `${name}/` : name);
  const header = Buffer.alloc(BLOCK);
  header.write(base, 0, 100, 'utf8');
  writeOctal(header, type === '5' ? 0o755 : 0o644, 100, 8);
  writeOctal(header, 0, 108, 8); // uid
  writeOctal(header, 0, 116, 8); // gid
  writeOctal(header, size, 124, 12);
  writeOctal(header, Math.max(0, Math.floor(modifiedAt / 1000)), 136, 12);
  header.write('        ', 148, 8, 'ascii'); // checksum counts as spaces while it is computed
  header.write(type, 156, 1, 'ascii');
  header.write('ustar\0' + '00', 257, 8, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return header;
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

async function* tarStream(entries: Iterable<ArchiveSource> | AsyncIterable<ArchiveSource>, now: number): AsyncGenerator<Buffer> {
  const seen = new Set<string>();
  for await (const entry of entries) {
    if (seen.has(entry.name)) throw new Error(`Duplicate archive entry name: ${entry.name}`);
    seen.add(entry.name);
    if ('data' in entry) {
      const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : Buffer.from(entry.data);
      yield tarHeader(entry.name, data.length, entry.modifiedAt ?? now);
      yield data;
      yield padding(data.length);
      continue;
    }
    // The size goes in the header before the bytes, so exactly that many are written even if
    // the file changes meanwhile (cut short, or padded with zeros if it shrank).
    let handle;
    try {
      handle = await open(entry.path, 'r');
    } catch (error) {
      if (entry.skipIfMissing && (error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    try {
      const stats = await handle.stat();
      yield tarHeader(entry.name, stats.size, stats.mtimeMs);
      let remaining = stats.size;
      const chunk = Buffer.alloc(64 * 1024);
      while (remaining > 0) {
        const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, remaining));
        if (bytesRead === 0) break;
        remaining -= bytesRead;
        yield Buffer.from(chunk.subarray(0, bytesRead));
      }
      if (remaining > 0) yield Buffer.alloc(remaining);
      yield padding(stats.size);
    } finally {
      await handle.close();
    }
  }
  yield END_OF_ARCHIVE;
}

/**
 * Writes a .tar.gz to `file`: first to "<file>.partial", renamed into place only when complete,
 * so an interrupted run never leaves something that looks like a finished archive. Mode 0600:
 * backups hold password hashes and possibly the key. Returns the archive's size in bytes.
 */
export async function writeTarGz(file: string, entries: Iterable<ArchiveSource> | AsyncIterable<ArchiveSource>, now = Date.now()): Promise<number> {
  const partial = `${file}.partial`;
  try {
    await pipeline(tarStream(entries, now), createGzip(), createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return (await stat(file)).size;
}

/** The same archive as a stream, for downloads: files on disk are read only when their turn comes. */
export function tarGzStream(entries: Iterable<ArchiveSource> | AsyncIterable<ArchiveSource>, now = Date.now()): ReadableStream<Uint8Array> {
  return Readable.toWeb(Readable.from(tarStream(entries, now)).pipe(createGzip())) as ReadableStream<Uint8Array>;
}

/** The same archive in memory (small archives, e.g. in tests). */
export async function createTarGz(entries: ArchiveEntry[], now = Date.now()): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarStream(entries, now)) chunks.push(chunk);
  return gzipSync(Buffer.concat(chunks));
}

export interface TarEntryHeader {
  name: string;
  type: 'file' | 'directory';
  size: number;
  modifiedAt: number;
}

export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

function readOctal(header: Buffer, offset: number, length: number, what: string): number {
  const text = header.toString('ascii', offset, offset + length).replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]*$/.test(text)) throw new ArchiveError(`Not a tar archive this tool understands (bad ${what} field)`);
  return text === '' ? 0 : parseInt(text, 8);
}

function parseHeader(header: Buffer): TarEntryHeader | null {
  if (header.every((byte) => byte === 0)) return null;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  if (readOctal(header, 148, 8, 'checksum') !== sum) throw new ArchiveError('The archive is damaged (a header checksum does not match)');
  if (header.toString('ascii', 257, 262) !== 'ustar') throw new ArchiveError('Not a ustar archive');
  const typeflag = header.toString('ascii', 156, 157);
  const cString = (offset: number, length: number) => {
    const raw = header.subarray(offset, offset + length);
    const end = raw.indexOf(0);
    return raw.toString('utf8', 0, end === -1 ? length : end);
  };
  const prefix = cString(345, 155);
  const full = (prefix ? `${prefix}/` : '') + cString(0, 100);
  const type = typeflag === '0' || typeflag === '\0' ? 'file' : typeflag === '5' ? 'directory' : null;
  if (!type) throw new ArchiveError(`Unsupported entry type "${typeflag}" for ${JSON.stringify(full)}: only files and folders are accepted`);
  const name = type === 'directory' ? full.replace(/\/+$/, '') : full;
  try {
    checkEntryName(name);
  } catch (error) {
    throw new ArchiveError((error as Error).message);
  }
  return { name, type, size: readOctal(header, 124, 12, 'size'), modifiedAt: readOctal(header, 136, 12, 'time') * 1000 };
}

/**
 * Incremental tar reader: push() bytes as they arrive; each entry is reported as onEntry, then
 * its content in pieces, then onEntryEnd. end() checks the archive was complete.
 */
class TarReader {
  private buffered: Buffer = Buffer.alloc(0);
  private current: TarEntryHeader | null = null;
  private remaining = 0;
  private skip = 0;
  private done = false;

  constructor(
    private readonly handlers: {
      onEntry(header: TarEntryHeader): void;
      onData(chunk: Buffer): void;
      onEntryEnd(header: TarEntryHeader): void;
    },
  ) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      if (this.done) return;
      if (this.current) {
        const take = Math.min(this.remaining, this.buffered.length);
        if (take > 0) this.handlers.onData(this.buffered.subarray(0, take));
        this.buffered = this.buffered.subarray(take);
        this.remaining -= take;
        if (this.remaining > 0) return;
        this.handlers.onEntryEnd(this.current);
        this.current = null;
        continue;
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, this.buffered.length);
        this.buffered = this.buffered.subarray(take);
        this.skip -= take;
        if (this.skip > 0) return;
      }
      if (this.buffered.length < BLOCK) return;
      const header = parseHeader(this.buffered.subarray(0, BLOCK));
      this.buffered = this.buffered.subarray(BLOCK);
      if (!header) {
        this.done = true;
        return;
      }
      this.handlers.onEntry(header);
      this.current = header;
      this.remaining = header.type === 'file' ? header.size : 0;
      this.skip = padding(this.remaining).length;
    }
  }

  end(): void {
    if (!this.done) throw new ArchiveError('The archive is incomplete (it ends in the middle); was the copy cut short?');
  }
}

/** Every entry of an in-memory .tar.gz, refusing more than `maxBytes` of content (a gzip bomb stops early). */
export function readTarGz(archive: Uint8Array, maxBytes = 512 * 1024 * 1024): (TarEntryHeader & { data: Buffer })[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: maxBytes + 1024 * 1024 });
  } catch (error) {
    throw new ArchiveError(`Not a .tar.gz archive, or a damaged one (${(error as Error).message})`);
  }
  const entries: (TarEntryHeader & { data: Buffer })[] = [];
  let parts: Buffer[] = [];
  const reader = new TarReader({
    onEntry: () => void (parts = []),
    onData: (chunk) => void parts.push(chunk),
    onEntryEnd: (header) => void entries.push({ ...header, data: Buffer.concat(parts) }),
  });
  reader.push(tar);
  reader.end();
  return entries;
}

/**
 * Unpacks a .tar.gz file into `dir` (which must exist), streaming, so large archives need little
 * memory. Names were checked by the reader, and files are created exclusively (`wx`), so an
 * archive can neither escape `dir` nor overwrite anything. Files get mode 0600, folders 0700.
 * Returns the names of the files written.
 */
export async function extractTarGz(file: string, dir: string): Promise<string[]> {
  const written: string[] = [];
  let fd: number | null = null;
  const reader = new TarReader({
    onEntry: (header) => {
      const target = path.join(dir, ...header.name.split('/'));
      if (header.type === 'directory') {
        mkdirSync(target, { recursive: true, mode: 0o700 });
        return;
      }
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      fd = openSync(target, 'wx', 0o600);
      written.push(header.name);
    },
    onData: (chunk) => {
      if (fd !== null) writeSync(fd, chunk);
    },
    onEntryEnd: () => {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) reader.push(chunk);
    });
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new ArchiveError('Not a .tar.gz archive, or a damaged one');
    throw error;
  } finally {
    if (fd !== null) closeSync(fd);
  }
  reader.end();
  return written;
}

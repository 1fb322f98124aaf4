import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageError, LARGE_WIDTH, MAX_UPLOAD_BYTES, SMALL_WIDTH, mimeOfName, processImage, sniffImageType } from '../../src/lib/images.js';
import {
  GPS,
  SVG_WITH_SCRIPT,
  TEXT_AS_JPEG,
  makeAnimatedGif,
  makeImage,
  makePhoneJpeg,
  makeTruncatedJpeg,
  type Format,
} from '../fixtures/images.js';

async function refusal(bytes: Uint8Array): Promise<ImageError> {
  try {
    await processImage(bytes);
  } catch (error) {
    if (error instanceof ImageError) return error;
    throw error;
  }
  throw new Error('processImage accepted it');
}

/** A PNG whose header claims 50,000 × 50,000 pixels: 100 KB that would decode to 7.5 GB. */
function pixelBomb(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(50_000, 0);
  header.writeUInt32BE(50_000, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(100_000))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('processImage: the four formats', () => {
  const formats: Format[] = ['jpeg', 'png', 'webp', 'gif'];
  for (const format of formats) {
    it(`takes ${format.toUpperCase()}, keeps its format, and makes a 1600 px and an 800 px version`, async () => {
      const processed = await processImage(await makeImage(format, 2000, 1000));
      expect(processed.type).toBe(format);
      expect(processed.mime).toBe(`image/${format}`);
      expect(processed.variants.map((v) => [v.kind, v.width, v.height])).toEqual([
        ['large', LARGE_WIDTH, 800],
        ['small', SMALL_WIDTH, 400],
      ]);
      for (const variant of processed.variants) {
        // What the file really is, read back by the library; and its name is its own hash.
        const meta = await sharp(variant.data).metadata();
        expect(meta.format).toBe(format);
        expect([meta.width, meta.height]).toEqual([variant.width, variant.height]);
        expect(variant.hash).toBe(createHash('sha256').update(variant.data).digest('hex'));
        expect(variant.name).toBe(`${variant.hash.slice(0, 32)}.${format === 'jpeg' ? 'jpg' : format}`);
        expect(mimeOfName(variant.name)).toBe(`image/${format}`);
      }
    });
  }

  it('never enlarges: a small picture is one file at its own size', async () => {
    const processed = await processImage(await makeImage('png', 300, 200));
    expect(processed.variants.map((v) => [v.kind, v.width, v.height])).toEqual([['large', 300, 200]]);
  });

  it('gives the same files for the same picture, so uploading it twice stores it once', async () => {
    const bytes = await makeImage('jpeg', 1000, 700);
    const [a, b] = [await processImage(bytes), await processImage(bytes)];
    expect(a.variants.map((v) => v.name)).toEqual(b.variants.map((v) => v.name));
  });

  it('keeps an animated GIF animated, every frame resized alike', async () => {
    const processed = await processImage(await makeAnimatedGif());
    expect(processed.animated).toBe(true);
    expect([processed.width, processed.height]).toEqual([64, 48]);
    const meta = await sharp(processed.variants[0]!.data, { animated: true }).metadata();
    expect(meta.pages).toBe(2);
  });

  it('makes a full-size copy only when asked (the owner keeps originals)', async () => {
    const bytes = await makeImage('jpeg', 2400, 1200);
    expect((await processImage(bytes)).variants.map((v) => v.kind)).toEqual(['large', 'small']);
    const kept = await processImage(bytes, { keepOriginal: true });
    expect(kept.variants.map((v) => [v.kind, v.width])).toEqual([
      ['large', 1600],
      ['small', 800],
      ['original', 2400],
    ]);
    expect((await sharp(kept.variants[2]!.data).metadata()).exif).toBeUndefined();
  });
});

describe('processImage: metadata and orientation', () => {
  it('strips EXIF including GPS from a phone photo, and turns it upright', async () => {
    const photo = await makePhoneJpeg(2400, 1200);
    // The fixture really carries what a phone writes, read back by the same library.
    const before = await sharp(photo).metadata();
    expect(before.orientation).toBe(6);
    expect(before.exif?.toString('latin1')).toContain(GPS.GPSMapDatum);
    expect(before.exif?.toString('latin1')).toContain('QuirePhone');

    const processed = await processImage(photo, { keepOriginal: true });
    // Orientation 6 is a portrait photo stored sideways: 2400 × 1200 on disk shows as 1200 × 2400.
    expect(processed.variants.map((v) => [v.kind, v.width, v.height])).toEqual([
      ['large', 1200, 2400],
      ['small', 800, 1600],
      ['original', 1200, 2400],
    ]);
    for (const variant of processed.variants) {
      const meta = await sharp(variant.data).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.iptc).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
      // Not merely unparsed: none of the values is anywhere in the file.
      const raw = variant.data.toString('latin1');
      for (const text of ['QuirePhone', GPS.GPSMapDatum, 'Exif\0\0']) expect(raw).not.toContain(text);
    }
  });

  it('strips metadata from PNG and WebP as well', async () => {
    for (const format of ['png', 'webp'] as const) {
      const exif = sharp(await makeImage(format, 400, 300)).withExif({ IFD0: { Make: 'QuirePhone' }, IFD3: GPS });
      const tagged = await (format === 'png' ? exif.png() : exif.webp()).toBuffer();
      expect((await sharp(tagged).metadata()).exif, format).toBeDefined();
      const processed = await processImage(tagged);
      const meta = await sharp(processed.variants[0]!.data).metadata();
      expect(meta.exif, format).toBeUndefined();
      expect(processed.variants[0]!.data.toString('latin1'), format).not.toContain('QuirePhone');
    }
  });
});

describe('processImage: what it refuses', () => {
  it('judges by bytes: text named .jpg, SVG, HEIC and PDF are refused with a message saying what to do', async () => {
    expect(sniffImageType(TEXT_AS_JPEG)).toBeNull();
    const text = await refusal(TEXT_AS_JPEG);
    expect([text.code, text.status]).toEqual(['unsupported', 415]);
    expect(text.message).toMatch(/JPEG, PNG, WebP and GIF/);

    const svg = await refusal(SVG_WITH_SCRIPT);
    expect(svg.code).toBe('unsupported');
    expect(svg.message).toMatch(/SVG/);

    const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
    expect((await refusal(heic)).message).toMatch(/HEIC.*JPEG/s);
    expect((await refusal(Buffer.from('%PDF-1.7\n...'))).message).toMatch(/PDF/);
  });

  it('refuses damaged pictures: cut off, garbled, or only a header', async () => {
    for (const bytes of [
      await makeTruncatedJpeg(),
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]),
      Buffer.concat([(await makeImage('png', 200, 200)).subarray(0, 60), Buffer.alloc(500, 0x55)]),
      Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), Buffer.alloc(100, 7)]),
      Buffer.from('GIF89a', 'latin1'),
    ]) {
      const error = await refusal(bytes);
      expect([error.code, error.status]).toEqual(['corrupt', 422]);
      expect(error.message).toMatch(/damaged/);
    }
  });

  it('refuses more than 15 MB before decoding anything', async () => {
    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 1);
    big.set([0xff, 0xd8, 0xff, 0xe0]);
    const error = await refusal(big);
    expect([error.code, error.status]).toEqual(['too-large', 413]);
    expect(error.message).toMatch(/15 MB/);
  });

  it('refuses a decompression bomb by its header, without decoding it', async () => {
    const error = await refusal(pixelBomb());
    expect([error.code, error.status]).toEqual(['too-many-pixels', 413]);
  });

  it('refuses an empty file', async () => {
    expect((await refusal(new Uint8Array(0))).code).toBe('empty');
  });
});

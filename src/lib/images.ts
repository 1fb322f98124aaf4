/**
 * Turning an uploaded picture into the files Quire serves: judged by its bytes, decoded only by
 * the four decoders we accept, turned upright, stripped of every piece of metadata (EXIF, GPS,
 * XMP, IPTC, ICC, comments), and resized to at most 1600 px wide plus an 800 px version for
 * srcset. No file system and no database here: bytes in, buffers out.
 */
import { createHash } from 'node:crypto';
import type { Metadata as SharpMetadata, OutputInfo as SharpOutputInfo } from 'sharp';

export type ImageType = 'jpeg' | 'png' | 'webp' | 'gif';
export type VariantKind = 'large' | 'small' | 'original';

/** Uploads larger than this are refused (the route's body limit is a little above it, for multipart framing). */
export const MAX_UPLOAD_BYTES = 15 * 1024 * 1024;

/** Widths of the web versions: the main one (src) and a smaller one for srcset. */
export const LARGE_WIDTH = 1600;
export const SMALL_WIDTH = 800;

// Decompression bombs: a 100 KB PNG can claim 50,000 × 50,000 pixels. 100 megapixels covers a
// 50 MP phone photo or a long panorama; an animated image counts every frame.
export const MAX_PIXELS = 100_000_000;

const MIME: Record<ImageType, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif' };
const EXTENSION: Record<ImageType, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif' };

export type ImageErrorCode = 'unsupported' | 'too-large' | 'too-many-pixels' | 'corrupt' | 'empty';

/** A picture Quire will not take, with a message for the writer and the HTTP status that goes with it. */
export class ImageError extends Error {
  override name = 'ImageError';
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): 400 | 413 | 415 | 422 {
    if (this.code === 'too-large' || this.code === 'too-many-pixels') return 413;
    if (this.code === 'unsupported') return 415;
    if (this.code === 'empty') return 400;
    return 422;
  }
}

const ACCEPTED = 'Quire accepts JPEG, PNG, WebP and GIF pictures.';

export const TOO_LARGE_MESSAGE = `That picture is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB. Make it smaller (most photo apps can export a smaller size) and try again. Nothing was saved.`;

/**
 * What the bytes say the file is, by their magic numbers. The file's name and the type the
 * browser claims are never consulted: both are the sender's to choose.
 */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  const at = (offset: number, ...values: number[]) => values.every((value, i) => bytes[offset + i] === value);
  const ascii = (offset: number, text: string) => at(offset, ...[...text].map((ch) => ch.charCodeAt(0)));
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  return null;
}

/** A sentence naming what a refused file seems to be, so the writer knows what to do instead. */
function describeRefused(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 512)).toString('latin1');
  const brand = head.slice(8, 12);
  if (/<svg[\s>]/i.test(head) || /^\s*<\?xml/.test(head)) {
    return `This is an SVG drawing. SVG files can carry scripts, so Quire does not accept them; export it as PNG instead. ${ACCEPTED}`;
  }
  if (head.slice(4, 8) === 'ftyp' && /^(heic|heix|hevc|mif1|msf1)$/.test(brand)) {
    return `This is a HEIC photo (the iPhone's own format). Share or export it as JPEG (on the iPhone: Settings → Camera → Formats → Most Compatible). ${ACCEPTED}`;
  }
  if (head.slice(4, 8) === 'ftyp' && /^avi[fs]$/.test(brand)) return `This is an AVIF picture. Export it as JPEG or WebP. ${ACCEPTED}`;
  if (head.startsWith('%PDF')) return `This is a PDF document, not a picture. ${ACCEPTED}`;
  return `This file is not a picture Quire can use. ${ACCEPTED}`;
}

export interface ImageVariant {
  kind: VariantKind;
  /** "<first 32 hex digits of the SHA-256 of data>.<ext>": the name under /media/. */
  name: string;
  /** Full SHA-256 of data, hex. */
  hash: string;
  data: Buffer;
  width: number;
  height: number;
}

export interface ProcessedImage {
  type: ImageType;
  mime: string;
  animated: boolean;
  /** Size of the picture as shown: the large variant's. */
  width: number;
  height: number;
  /** large first, then small (if the picture is wider than 800 px), then original (if asked for). */
  variants: ImageVariant[];
}

export interface ProcessOptions {
  /** Also make a full-size copy (metadata stripped, high quality), for owners who keep originals. */
  keepOriginal?: boolean;
}

type Sharp = (typeof import('sharp'))['default'];
let loading: Promise<Sharp> | undefined;

/**
 * sharp, loaded on the first upload. With libvips it adds about 20 MB to the process and 60 ms
 * to its start, and only picture uploads need it: readers, feeds and saves never do.
 */
function loadSharp(): Promise<Sharp> {
  return (loading ??= import('sharp').then(
    ({ default: sharp }) => {
      restrictDecoders(sharp);
      return sharp;
    },
    (error: unknown) => {
      // Not cached: a failed load (say, a missing native library) is tried again next time.
      loading = undefined;
      throw error;
    },
  ));
}

/**
 * libvips can decode dozens of formats (SVG, PDF, TIFF, HEIF, FITS, Matlab…), each one more
 * parser exposed to strangers' bytes. Refuse all but the four buffer decoders we accept. This is
 * process-wide, which is what we want; it is done once, when sharp is loaded.
 */
function restrictDecoders(sharp: Sharp): void {
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({
    operation: ['VipsForeignLoadJpegBuffer', 'VipsForeignLoadPngBuffer', 'VipsForeignLoadWebpBuffer', 'VipsForeignLoadNsgifBuffer'],
  });
  // Each upload is a different picture: libvips' operation cache would only hold memory.
  sharp.cache(false);
}

/**
 * Decodes an uploaded picture and produces its web versions. Throws ImageError for anything
 * that is not a readable JPEG, PNG, WebP or GIF within the limits; nothing else leaves here.
 *
 * - Orientation: the EXIF orientation is applied to the pixels (the tag itself goes with the
 *   rest of the metadata, so the picture shows upright everywhere).
 * - Metadata: sharp writes none unless asked, and we never ask. Colours are converted to sRGB
 *   from any embedded ICC profile first, so a Display P3 photo keeps its look without its profile.
 * - Animation: animated GIF and WebP stay animated (resized frame by frame): writers paste
 *   animations meaning them to move, and a frozen first frame would surprise them.
 */
export async function processImage(bytes: Uint8Array, options: ProcessOptions = {}): Promise<ProcessedImage> {
  if (bytes.byteLength === 0) throw new ImageError('empty', 'The file was empty. Choose the picture again.');
  if (bytes.byteLength > MAX_UPLOAD_BYTES) throw new ImageError('too-large', TOO_LARGE_MESSAGE);
  const type = sniffImageType(bytes);
  if (type === null) throw new ImageError('unsupported', describeRefused(bytes));
  const sharp = await loadSharp();
  await processing.acquire();
  try {
    return await decodeAndRender(sharp, bytes, type, options);
  } finally {
    processing.release();
  }
}

/**
 * At most two pictures are decoded at once, process-wide: a 24-megapixel photo takes about
 * 30 MB while it is turned into web sizes, but about 350 MB when a full-size copy is kept, and
 * ten photos dropped at once must not take a small server's memory. Others wait their turn.
 */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(count: number) {
    this.free = count;
  }
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}
const processing = new Slots(2);

async function decodeAndRender(sharp: Sharp, bytes: Uint8Array, type: ImageType, options: ProcessOptions): Promise<ProcessedImage> {

  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let metadata: SharpMetadata;
  try {
    metadata = await sharp(input, { animated: true, limitInputPixels: false }).metadata();
  } catch (error) {
    throw corrupt(type, error);
  }
  // The header must agree with the magic number (libvips sniffs too; this is belt and braces).
  if (metadata.format !== type || !metadata.width || !metadata.height) throw corrupt(type);
  const pages = metadata.pages ?? 1;
  const animated = (type === 'gif' || type === 'webp') && pages > 1;
  const frameHeight = animated ? (metadata.pageHeight ?? metadata.height) : metadata.height;
  if (metadata.width * frameHeight * (animated ? pages : 1) > MAX_PIXELS) {
    throw new ImageError(
      'too-many-pixels',
      `That picture has more pixels than Quire processes (${MAX_PIXELS / 1_000_000} megapixels${animated ? ', counting every frame' : ''}). Make it smaller and try again. Nothing was saved.`,
    );
  }
  // Upright size: orientations 5–8 swap width and height.
  const uprightWidth = animated ? metadata.width : metadata.autoOrient.width;

  const render = async (kind: VariantKind, width: number): Promise<ImageVariant> => {
    let pipeline = sharp(input, {
      animated,
      // Truncated or undecodable pixel data is refused; mere decoder warnings (common in phone
      // JPEGs, e.g. "extraneous bytes before marker") are not, or ordinary photos would bounce.
      failOn: 'error',
      limitInputPixels: MAX_PIXELS,
      autoOrient: !animated,
    });
    if (width < uprightWidth) pipeline = pipeline.resize({ width, withoutEnlargement: true });
    pipeline = pipeline.toColourspace('srgb');
    const original = kind === 'original';
    switch (type) {
      case 'jpeg':
        pipeline = pipeline.jpeg(original ? { quality: 95, chromaSubsampling: '4:4:4' } : { quality: 82, mozjpeg: true });
        break;
      case 'png':
        pipeline = pipeline.png({ compressionLevel: 9 });
        break;
      case 'webp':
        pipeline = pipeline.webp({ quality: original ? 95 : 82 });
        break;
      case 'gif':
        pipeline = pipeline.gif();
        break;
    }
    let result: { data: Buffer; info: SharpOutputInfo };
    try {
      result = await pipeline.toBuffer({ resolveWithObject: true });
    } catch (error) {
      throw corrupt(type, error);
    }
    const hash = createHash('sha256').update(result.data).digest('hex');
    const height = animated ? (result.info.pageHeight ?? result.info.height) : result.info.height;
    return { kind, name: `${hash.slice(0, 32)}.${EXTENSION[type]}`, hash, data: result.data, width: result.info.width, height };
  };

  const large = await render('large', Math.min(uprightWidth, LARGE_WIDTH));
  const variants = [large];
  if (large.width > SMALL_WIDTH) variants.push(await render('small', SMALL_WIDTH));
  if (options.keepOriginal) {
    const original = await render('original', uprightWidth);
    // A lossless picture no wider than the large version comes out byte for byte the same.
    if (original.name !== large.name) variants.push(original);
  }
  return { type, mime: MIME[type], animated, width: large.width, height: large.height, variants };
}

function corrupt(type: ImageType, cause?: unknown): ImageError {
  const error = new ImageError(
    'corrupt',
    `This ${type === 'jpeg' ? 'JPEG' : type.toUpperCase()} file looks damaged: Quire could not read the picture in it. Try exporting or saving it again. Nothing was saved.`,
  );
  if (cause !== undefined) error.cause = cause;
  return error;
}

/** The Content-Type of a stored file, from its name ("….webp" → "image/webp"); null for any other name. */
export function mimeOfName(name: string): string | null {
  const extension = name.slice(name.lastIndexOf('.') + 1);
  const type = (Object.keys(EXTENSION) as ImageType[]).find((t) => EXTENSION[t] === extension);
  return type ? MIME[type] : null;
}

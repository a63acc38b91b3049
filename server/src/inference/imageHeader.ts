import sharp from "sharp";

/** [width, height] of an image file as stored (no EXIF rotation, as sharp's `metadata()` reports it). */
export interface StoredSize {
  readonly width: number;
  readonly height: number;
}

const be16 = (b: Uint8Array, i: number): number => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const be32 = (b: Uint8Array, i: number): number => be16(b, i) * 65536 + be16(b, i + 2);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngSize(b: Uint8Array): StoredSize | null {
  if (b.length < 24 || !PNG_SIGNATURE.every((x, i) => b[i] === x)) return null;
  // The first chunk is IHDR: length (4), "IHDR" (4), width (4), height (4).
  if (String.fromCharCode(b[12] ?? 0, b[13] ?? 0, b[14] ?? 0, b[15] ?? 0) !== "IHDR") return null;
  return { width: be32(b, 16), height: be32(b, 20) };
}

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic): C0–CF but C4 (DHT), C8 (JPG), CC (DAC). */
const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegSize(b: Uint8Array): StoredSize | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1] ?? 0;
    if (marker === 0xff) {
      // Fill byte before a marker.
      i++;
      continue;
    }
    // Markers without a length: TEM, RSTn, SOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image, or scan data before any frame header
    if (isSof(marker)) {
      if (i + 8 >= b.length) return null;
      return { height: be16(b, i + 5), width: be16(b, i + 7) };
    }
    i += 2 + be16(b, i + 2);
  }
  return null;
}

/**
 * The stored size of an image file, read from its header: PNG and JPEG here on the calling thread
 * (a few bytes, no decoder), any other format from sharp's header reader. Null when the bytes say
 * no positive size (not an image, or a header cut short).
 */
export async function storedSize(bytes: Uint8Array): Promise<StoredSize | null> {
  const quick = pngSize(bytes) ?? jpegSize(bytes);
  if (quick) return quick.width > 0 && quick.height > 0 ? quick : null;
  try {
    const meta = await sharp(bytes, { failOn: "none" }).metadata();
    return meta.width && meta.height ? { width: meta.width, height: meta.height } : null;
  } catch (err) {
    if (err instanceof Error) return null;
    throw err;
  }
}

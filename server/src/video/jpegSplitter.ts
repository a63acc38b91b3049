/**
 * Splits ffmpeg's `image2pipe` MJPEG output (JPEG images back to back, no framing) into images.
 * An image's end is found by walking its markers as the JPEG standard lays them out — length-
 * prefixed segments up to the scan, then entropy-coded data in which a 0xFF byte is always
 * followed by 0x00 (stuffing) or a restart marker — never by searching for a byte pattern that
 * image data could contain.
 */

export class JpegStreamError extends Error {
  override readonly name = "JpegStreamError";
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

const isRestart = (m: number) => m >= 0xd0 && m <= 0xd7;

/** The length of the complete JPEG at the start of `buf`, or -1 when more bytes are needed. */
function jpegLength(buf: Uint8Array): number {
  if (buf.length < 2) return -1;
  if (buf[0] !== 0xff || buf[1] !== SOI) throw new JpegStreamError("ffmpeg's output is not a JPEG stream");
  let i = 2;
  for (;;) {
    if (i + 1 >= buf.length) return -1;
    if (buf[i] !== 0xff) throw new JpegStreamError(`no JPEG marker at byte ${i}`);
    // Fill bytes: any number of 0xFF before a marker.
    while (i + 1 < buf.length && buf[i + 1] === 0xff) i++;
    if (i + 1 >= buf.length) return -1;
    const marker = buf[i + 1] ?? 0;
    if (marker === EOI) return i + 2;
    if (isRestart(marker) || marker === 0x01) {
      i += 2;
      continue;
    }
    if (i + 3 >= buf.length) return -1;
    const length = ((buf[i + 2] ?? 0) << 8) | (buf[i + 3] ?? 0);
    if (length < 2) throw new JpegStreamError(`JPEG segment of length ${length} at byte ${i}`);
    i += 2 + length;
    if (marker !== SOS) continue;
    // Entropy-coded data: runs until a 0xFF that starts a real marker (not stuffing, not a restart).
    for (;;) {
      if (i + 1 >= buf.length) return -1;
      if (buf[i] === 0xff) {
        const next = buf[i + 1] ?? 0;
        if (next !== 0x00 && next !== 0xff && !isRestart(next)) break;
        if (next === 0xff) {
          i++;
          continue;
        }
      }
      i++;
    }
  }
}

/** Accumulates chunks of the stream and hands out each image once it is whole. */
export class JpegSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const n = jpegLength(this.pending);
      if (n < 0) break;
      out.push(this.pending.subarray(0, n));
      this.pending = this.pending.subarray(n);
    }
    return out;
  }

  /** Bytes received that do not (yet) make a whole image. */
  get leftover(): number {
    return this.pending.length;
  }
}

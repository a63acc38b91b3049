/**
 * Mask pixels for display: COCO runs (column-major, first run = zeros) written straight into an
 * RGBA buffer cropped to the mask's box, without a full-image intermediate. On pixels are opaque
 * white (the view tints them), off pixels transparent.
 */
export interface PixelBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export function runsToRgbaCrop(runs: readonly number[], height: number, crop: PixelBox): Uint8Array {
  const out = new Uint8Array(Math.max(0, crop.w * crop.h * 4));
  let pos = 0;
  const x1 = crop.x + crop.w;
  const y1 = crop.y + crop.h;
  for (let r = 0; r < runs.length; r++) {
    const len = runs[r] as number;
    if (r % 2 === 1 && len > 0) {
      // An on-run may span several columns: walk it column by column.
      let p = pos;
      const end = pos + len;
      while (p < end) {
        const col = Math.floor(p / height);
        const row = p - col * height;
        const take = Math.min(end - p, height - row);
        if (col >= crop.x && col < x1) {
          const ra = Math.max(row, crop.y);
          const rb = Math.min(row + take, y1);
          for (let yy = ra; yy < rb; yy++) {
            const i = ((yy - crop.y) * crop.w + (col - crop.x)) * 4;
            out[i] = 255;
            out[i + 1] = 255;
            out[i + 2] = 255;
            out[i + 3] = 255;
          }
        }
        p += take;
      }
    }
    pos += len;
  }
  return out;
}

/** Pixel box of a normalised mask box on a mask of `width × height`, at least 1×1. */
export function pixelBox(box: readonly [number, number, number, number], width: number, height: number): PixelBox {
  const x = Math.max(0, Math.floor(box[0] * width));
  const y = Math.max(0, Math.floor(box[1] * height));
  const x2 = Math.min(width, Math.ceil((box[0] + box[2]) * width));
  const y2 = Math.min(height, Math.ceil((box[1] + box[3]) * height));
  return { x, y, w: Math.max(1, x2 - x), h: Math.max(1, y2 - y) };
}

import { GeometryError } from "./GeometryError.js";
import { checkFlatCoords, edgeCrossingX, splitMultiPath } from "./normalize.js";
import { encodeMask } from "./rle.js";
import type { CompressedRle } from "./rle.js";

/** How `polygonToMask` should read its coordinates. */
export interface PolygonRasterOptions {
  /**
   * True when coordinates are fractions of the image size (Pixano's `is_normalized`; every
   * stored multi-path is), false when they are pixels with the origin at the top-left corner
   * of the top-left pixel.
   */
  readonly normalized: boolean;
  /**
   * Points per sub-path (a multi-path's `num_points`). Omitted: all points form one ring.
   */
  readonly numPoints?: readonly number[];
}

function checkMaskDimensions(height: number, width: number): void {
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(width) || height < 0 || width < 0) {
    throw new GeometryError(
      "invalid-dimensions",
      `mask height and width must be integers >= 0, got ${height}x${width}`,
    );
  }
}

/**
 * First integer column c with c + 0.5 >= x (pixel centre at or right of x), within
 * [-1, width + 1]. Clamping first keeps the ±1 corrections below exact for huge coordinates.
 */
function firstCentreAtOrAfter(rawX: number, width: number): number {
  const x = Math.min(Math.max(rawX, -1), width + 1);
  let c = Math.ceil(x - 0.5);
  // Guard the rounding of `x - 0.5` so the result agrees with the direct comparison.
  while (c + 0.5 < x) c += 1;
  while (c - 0.5 >= x) c -= 1;
  return c;
}

/**
 * Rasterises a polygon (or a closed multi-path) into a row-major `height × width` 0/1 mask.
 * A pixel is on when its centre (col + 0.5, row + 0.5) is inside under the even-odd rule
 * across all rings, so a ring inside another is a hole. This is exactly `pointInMultiPath`
 * evaluated at every pixel centre (same crossing expression), done per row with a scanline.
 * It is how polygons are converted to masks; note it is pixel-centre sampling, not
 * pycocotools' `frPyObjects` polygon rasteriser, whose boundary pixels differ slightly.
 */
export function polygonToMask(
  coords: readonly number[],
  height: number,
  width: number,
  options: PolygonRasterOptions,
): Uint8Array {
  checkMaskDimensions(height, width);
  checkFlatCoords(coords);
  const rings = splitMultiPath(coords, options.numPoints ?? [coords.length / 2]);
  const mask = new Uint8Array(height * width);
  if (mask.length === 0) return mask;
  const sx = options.normalized ? width : 1;
  const sy = options.normalized ? height : 1;
  const pixelRings = rings.map((ring) => ring.map((v, i) => (i % 2 === 0 ? v * sx : v * sy)));
  const xs: number[] = [];
  for (let row = 0; row < height; row += 1) {
    const py = row + 0.5;
    xs.length = 0;
    for (const ring of pixelRings) {
      const n = ring.length / 2;
      for (let i = 0, j = n - 1; i < n; j = i, i += 1) {
        const cx = edgeCrossingX(ring[2 * j] ?? 0, ring[2 * j + 1] ?? 0, ring[2 * i] ?? 0, ring[2 * i + 1] ?? 0, py);
        if (cx !== undefined) xs.push(cx);
      }
    }
    xs.sort((a, b) => a - b);
    // A centre px is inside iff an odd number of crossings lie at or left of it, i.e. it sits
    // in [xs[2k], xs[2k + 1]) for some k (closed rings always give an even count).
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, firstCentreAtOrAfter(xs[k] ?? 0, width));
      const to = Math.min(width, firstCentreAtOrAfter(xs[k + 1] ?? 0, width));
      mask.fill(1, row * width + from, row * width + Math.max(from, to));
    }
  }
  return mask;
}

/**
 * `polygonToMask` followed by `encodeMask`: the stored form of a polygon converted to a mask.
 */
export function polygonToRle(
  coords: readonly number[],
  height: number,
  width: number,
  options: PolygonRasterOptions,
): CompressedRle {
  return encodeMask(polygonToMask(coords, height, width, options), height, width);
}

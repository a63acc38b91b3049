import { GeometryError } from "./GeometryError.js";

/**
 * Throws `invalid-coords` unless `coords` is a flat `[x1, y1, x2, y2, …]` list of finite
 * numbers. Keypoints and multi-paths share this layout (spec §2.5).
 */
export function checkFlatCoords(coords: readonly number[]): void {
  if (coords.length % 2 !== 0) {
    throw new GeometryError("invalid-coords", `flat coordinates need an even length, got ${coords.length}`);
  }
  for (let i = 0; i < coords.length; i += 1) {
    if (!Number.isFinite(coords[i])) {
      throw new GeometryError("invalid-coords", `coordinate ${i} is not a finite number: ${coords[i]}`);
    }
  }
}

/** Throws `invalid-dimensions` unless width and height are finite and > 0 (they are divisors). */
export function checkImageSize(width: number, height: number): void {
  if (!Number.isFinite(width) || !Number.isFinite(height) || width <= 0 || height <= 0) {
    throw new GeometryError("invalid-dimensions", `image size must be positive, got ${width}x${height}`);
  }
}

/**
 * Pixel coordinates → Pixano's normalised form (x / width, y / height). The UI and every
 * multi-path row store normalised coordinates, so anything drawn in pixels goes through here
 * before it is written. No clamping: a point off the image stays off it.
 */
export function normalizeCoords(coords: readonly number[], width: number, height: number): number[] {
  checkImageSize(width, height);
  checkFlatCoords(coords);
  // Divide (rather than multiply by a reciprocal) so that k * w / w comes back exactly.
  return coords.map((v, i) => (i % 2 === 0 ? v / width : v / height));
}

/** Normalised coordinates → pixels (x × width, y × height), the inverse of `normalizeCoords`. */
export function denormalizeCoords(coords: readonly number[], width: number, height: number): number[] {
  checkImageSize(width, height);
  checkFlatCoords(coords);
  return coords.map((v, i) => (i % 2 === 0 ? v * width : v * height));
}

/**
 * Splits a multi-path's concatenated `coords` into one flat list per sub-path, using
 * `num_points`. Throws `invalid-num-points` unless every entry is an integer ≥ 0 and
 * `sum(num_points) * 2 === coords.length` (Pixano's own validator rule).
 */
export function splitMultiPath(coords: readonly number[], numPoints: readonly number[]): number[][] {
  checkFlatCoords(coords);
  let total = 0;
  for (const n of numPoints) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new GeometryError("invalid-num-points", `num_points entries must be integers >= 0, got ${n}`);
    }
    total += n;
  }
  if (total * 2 !== coords.length) {
    throw new GeometryError(
      "invalid-num-points",
      `num_points sums to ${total} points but coords hold ${coords.length / 2}`,
    );
  }
  const paths: number[][] = [];
  let offset = 0;
  for (const n of numPoints) {
    paths.push(coords.slice(offset, offset + 2 * n));
    offset += 2 * n;
  }
  return paths;
}

/**
 * Where the edge (x0, y0)–(x1, y1) crosses the horizontal line at `py`, or undefined when it
 * does not cross it under the half-open rule (one endpoint strictly above `py`, the other not).
 * Shared by point-in-polygon and the mask rasteriser so both classify every pixel centre
 * identically, down to the floating-point expression.
 */
export function edgeCrossingX(x0: number, y0: number, x1: number, y1: number, py: number): number | undefined {
  if (y0 > py === y1 > py) return undefined;
  return ((x1 - x0) * (py - y0)) / (y1 - y0) + x0;
}

function countCrossingsRightOf(x: number, y: number, ring: readonly number[]): number {
  const n = ring.length / 2;
  let crossings = 0;
  for (let i = 0, j = n - 1; i < n; j = i, i += 1) {
    const cx = edgeCrossingX(ring[2 * j] ?? 0, ring[2 * j + 1] ?? 0, ring[2 * i] ?? 0, ring[2 * i + 1] ?? 0, y);
    if (cx !== undefined && x < cx) crossings += 1;
  }
  return crossings;
}

/**
 * Even-odd point-in-polygon test for one closed ring given as flat coordinates (the closing
 * edge is implied). Boundary ties follow a top-left rule in image coordinates (y down): a
 * point on an edge facing smaller x or smaller y is inside, on one facing larger x or y is
 * outside, so polygons sharing an edge never both claim a point.
 */
export function pointInPolygon(x: number, y: number, ring: readonly number[]): boolean {
  checkFlatCoords(ring);
  return countCrossingsRightOf(x, y, ring) % 2 === 1;
}

/**
 * Even-odd test over all sub-paths of a closed multi-path: a point inside two rings is
 * outside, which is how a ring drawn inside another becomes a hole.
 */
export function pointInMultiPath(
  x: number,
  y: number,
  coords: readonly number[],
  numPoints: readonly number[],
): boolean {
  let crossings = 0;
  for (const ring of splitMultiPath(coords, numPoints)) crossings += countCrossingsRightOf(x, y, ring);
  return crossings % 2 === 1;
}

/**
 * Signed shoelace area of one ring: positive when the vertices run counter-clockwise in a
 * y-up frame (clockwise on screen, where y grows downwards).
 */
export function signedPolygonArea(ring: readonly number[]): number {
  checkFlatCoords(ring);
  const n = ring.length / 2;
  let twice = 0;
  for (let i = 0, j = n - 1; i < n; j = i, i += 1) {
    twice += (ring[2 * j] ?? 0) * (ring[2 * i + 1] ?? 0) - (ring[2 * i] ?? 0) * (ring[2 * j + 1] ?? 0);
  }
  return twice / 2;
}

/** Absolute shoelace area of one ring, in the ring's own units (normalised² or px²). */
export function polygonArea(ring: readonly number[]): number {
  return Math.abs(signedPolygonArea(ring));
}

/**
 * Total area of a closed multi-path as the sum of each sub-path's absolute area. Holes and
 * overlaps are not subtracted (that needs the even-odd coverage of `polygonToMask`); this is
 * the cheap figure used for sorting and statistics.
 */
export function multiPathArea(coords: readonly number[], numPoints: readonly number[]): number {
  let area = 0;
  for (const ring of splitMultiPath(coords, numPoints)) area += polygonArea(ring);
  return area;
}

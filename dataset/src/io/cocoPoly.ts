import { mergeRuns, runsToCounts } from "@tessera/shared-crdt";

/**
 * Polygon → COCO compressed RLE exactly as pycocotools' `frPyObjects` + `merge` computes it (the
 * conversion Pixano 0.8 applies to JSONL `mask.polygons`), so that an imported polygon mask is
 * byte-identical to Pixano's. pycocotools walks the outline on a 5× grid and keeps one boundary
 * point per crossed pixel column; that is not the pixel-centre rule of shared-crdt's
 * `polygonToMask`, and boundary pixels differ. Coordinates are pixels (not normalised).
 */
const SCALE = 5;

/** Run lengths (column-major, first run = zeros) of one polygon `[x1, y1, x2, y2, …]`. */
function polygonRuns(xy: readonly number[], h: number, w: number): number[] {
  const k = Math.floor(xy.length / 2);
  const x: number[] = [];
  const y: number[] = [];
  for (let j = 0; j < k; j++) {
    x.push(Math.trunc(SCALE * xy[2 * j]! + 0.5));
    y.push(Math.trunc(SCALE * xy[2 * j + 1]! + 0.5));
  }
  x.push(x[0] ?? 0);
  y.push(y[0] ?? 0);
  // Dense integer points along every edge of the upsampled outline.
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = x[j]!;
    let xe = x[j + 1]!;
    let ys = y[j]!;
    let ye = y[j + 1]!;
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(Math.trunc(ys + s * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(Math.trunc(xs + s * t + 0.5));
      }
    }
  }
  // One boundary point per pixel column crossed, downsampled back to the pixel grid.
  const bx: number[] = [];
  const by: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j]! < u[j - 1]! ? u[j]! : u[j]! - 1;
    xd = (xd + 0.5) / SCALE - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j]! < v[j - 1]! ? v[j]! : v[j - 1]!;
    yd = (yd + 0.5) / SCALE - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    bx.push(xd);
    by.push(Math.ceil(yd));
  }
  // Column-major positions of the boundary points, sorted, differenced into runs.
  const a = bx.map((xx, j) => (xx * h + by[j]!) >>> 0);
  a.push((h * w) >>> 0);
  a.sort((p, q) => p - q);
  let prev = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j]!;
    a[j] = t - prev;
    prev = t;
  }
  const b: number[] = [];
  let j = 0;
  b.push(a[j++]!);
  while (j < a.length) {
    if (a[j]! > 0) b.push(a[j++]!);
    else {
      j++;
      if (j < a.length) b[b.length - 1]! += a[j++]!;
    }
  }
  return b;
}

/** The union of polygons (pixel coordinates) as a stored mask `{size: [h, w], counts}`. */
export function polygonsToCocoRle(
  polygons: readonly (readonly number[])[],
  h: number,
  w: number,
): { size: [number, number]; counts: string } {
  let runs: number[] | undefined;
  for (const poly of polygons) {
    const r = polygonRuns(poly, h, w);
    runs = runs === undefined ? r : mergeRuns(runs, r, "union");
  }
  return { size: [h, w], counts: runsToCounts(runs ?? [h * w]) };
}

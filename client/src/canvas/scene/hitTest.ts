import { pointInMultiPath, rleRuns } from "@tessera/shared-crdt";
import { segmentDistance2 } from "../../tools/geometry.js";
import type { Shape } from "../../tools/types.js";
import type { ViewTile } from "./layout.js";

/**
 * Exact hit tests of one shape against a world point, with a tolerance in world units (screen
 * pixels / zoom). Returns the score used to pick among overlapping candidates — the covered area
 * in world px² (smaller wins, so a box inside another stays clickable; lines score 0) — or -1
 * when the point misses.
 */
export function hitScore(
  shape: Shape,
  tile: ViewTile,
  wx: number,
  wy: number,
  tol: number,
  maskRuns: () => readonly number[] | null,
): number {
  const nx = (wx - tile.x) / tile.width;
  const ny = (wy - tile.y) / tile.height;
  const tx = tol / tile.width;
  const ty = tol / tile.height;
  switch (shape.kind) {
    case "box": {
      if (nx < shape.x - tx || nx > shape.x + shape.w + tx || ny < shape.y - ty || ny > shape.y + shape.h + ty)
        return -1;
      return shape.w * tile.width * shape.h * tile.height;
    }
    case "path": {
      if (nearEdge(shape.coords, shape.numPoints, shape.closed, tile, wx, wy, tol))
        return shape.closed ? pathArea(shape, tile) : 0;
      if (shape.closed && shape.coords.length >= 6 && pointInMultiPath(nx, ny, shape.coords, shape.numPoints))
        return pathArea(shape, tile);
      return -1;
    }
    case "keypoints": {
      let minX = Infinity;
      let minY = Infinity;
      let maxX = -Infinity;
      let maxY = -Infinity;
      for (let i = 0; i + 1 < shape.coords.length; i += 2) {
        const x = shape.coords[i] as number;
        const y = shape.coords[i + 1] as number;
        if (Math.abs(x - nx) <= tx && Math.abs(y - ny) <= ty) return 0;
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
      if (nx < minX || nx > maxX || ny < minY || ny > maxY) return -1;
      return (maxX - minX) * tile.width * (maxY - minY) * tile.height;
    }
    case "mask": {
      const [x, y, w, h] = shape.box;
      if (nx < x || nx > x + w || ny < y || ny > y + h) return -1;
      const runs = maskRuns();
      const mh = shape.rle.size[0] ?? 0;
      const mw = shape.rle.size[1] ?? 0;
      if (!runs || mh === 0 || mw === 0) return -1;
      const px = Math.min(mw - 1, Math.max(0, Math.floor(nx * mw)));
      const py = Math.min(mh - 1, Math.max(0, Math.floor(ny * mh)));
      return maskBit(runs, px * mh + py) ? w * tile.width * h * tile.height : -1;
    }
    case "draft":
    case "stroke":
      return -1;
  }
}

function pathArea(shape: Extract<Shape, { kind: "path" }>, tile: ViewTile): number {
  let area = 0;
  let offset = 0;
  for (const n of shape.numPoints) {
    let twice = 0;
    for (let i = 0, j = n - 1; i < n; j = i, i++) {
      const xi = shape.coords[(offset + i) * 2] as number;
      const yi = shape.coords[(offset + i) * 2 + 1] as number;
      const xj = shape.coords[(offset + j) * 2] as number;
      const yj = shape.coords[(offset + j) * 2 + 1] as number;
      twice += xj * yi - xi * yj;
    }
    area += Math.abs(twice / 2);
    offset += n;
  }
  return area * tile.width * tile.height;
}

function nearEdge(
  coords: readonly number[],
  numPoints: readonly number[],
  closed: boolean,
  tile: ViewTile,
  wx: number,
  wy: number,
  tol: number,
): boolean {
  const t2 = tol * tol;
  let offset = 0;
  for (const n of numPoints) {
    const last = closed ? n : n - 1;
    for (let i = 0; i < last; i++) {
      const a = offset + i;
      const b = offset + ((i + 1) % n);
      const ax = tile.x + (coords[a * 2] as number) * tile.width;
      const ay = tile.y + (coords[a * 2 + 1] as number) * tile.height;
      const bx = tile.x + (coords[b * 2] as number) * tile.width;
      const by = tile.y + (coords[b * 2 + 1] as number) * tile.height;
      if (segmentDistance2(wx, wy, ax, ay, bx, by) <= t2) return true;
    }
    if (n === 1) {
      const ax = tile.x + (coords[offset * 2] as number) * tile.width;
      const ay = tile.y + (coords[offset * 2 + 1] as number) * tile.height;
      if ((wx - ax) ** 2 + (wy - ay) ** 2 <= t2) return true;
    }
    offset += n;
  }
  return false;
}

/** Whether the pixel at column-major index `i` is on, walking COCO runs (first run = zeros). */
export function maskBit(runs: readonly number[], i: number): boolean {
  let pos = 0;
  for (let r = 0; r < runs.length; r++) {
    pos += runs[r] as number;
    if (i < pos) return r % 2 === 1;
  }
  return false;
}

/** Runs of a mask shape, or null when its RLE is unreadable. */
export function maskRunsOf(shape: Shape): number[] | null {
  if (shape.kind !== "mask") return null;
  try {
    return rleRuns(shape.rle);
  } catch (e) {
    // Unreadable masks are not drawn either (shapeOfRow); treating them as empty is consistent.
    console.warn("unreadable mask RLE", e);
    return null;
  }
}

import { rleRuns } from "@tessera/shared-crdt";
import type { Shape, ShapeOf } from "../../tools/types.js";
import { geometryOf } from "../../kinds/registry.js";
import type { ViewTile } from "./layout.js";

/**
 * Exact hit test of one shape against a world point, with a tolerance in world units (screen
 * pixels / zoom), by the shape's kind (`client/src/kinds/`). Returns the score used to pick among
 * overlapping candidates — the covered area in world px² (smaller wins, so a box inside another
 * stays clickable; lines score 0) — or -1 when the point misses or the kind is unknown.
 * `cached(decode)` memoises what a kind decodes to hit-test (a mask's runs) with the scene item.
 */
export function hitScore(
  shape: Shape,
  tile: ViewTile,
  wx: number,
  wy: number,
  tol: number,
  cached: (decode: () => readonly number[] | null) => readonly number[] | null,
): number {
  return geometryOf(shape)?.hitScore(shape, tile, wx, wy, tol, cached) ?? -1;
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
export function maskRunsOf(shape: ShapeOf<"mask">): number[] | null {
  try {
    return rleRuns(shape.rle);
  } catch (e) {
    // Unreadable masks are not drawn either (their kind's shapeOfRow); treating them as empty is consistent.
    console.warn("unreadable mask RLE", e);
    return null;
  }
}

import { rleRuns } from "@tessera/shared-crdt";
import type { ShapeOf } from "../../tools/types.js";

/** Mask raster helpers for hit testing and drawing (the `masks` kind). */

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

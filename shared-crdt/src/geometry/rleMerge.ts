import { GeometryError } from "./GeometryError.js";
import { emptyRle, readRleSize, rleRuns, runsToCounts } from "./rle.js";
import type { CompressedRle, RleLike } from "./rle.js";

/** Boolean combination of two masks: `difference` is `a AND NOT b`. */
export type MaskMergeOp = "union" | "intersection" | "difference";

function combine(op: MaskMergeOp, a: boolean, b: boolean): boolean {
  switch (op) {
    case "union":
      return a || b;
    case "intersection":
      return a && b;
    case "difference":
      return a && !b;
  }
}

/**
 * Merges two runs lists of the same total length with one sweep over both (no pixel buffer),
 * producing canonical runs: a leading zero run (possibly 0), then alternating non-empty runs.
 * For canonical inputs this equals pycocotools `rleMerge` for union and intersection.
 */
export function mergeRuns(a: readonly number[], b: readonly number[], op: MaskMergeOp): number[] {
  let totalA = 0;
  let totalB = 0;
  for (const run of a) totalA += run;
  for (const run of b) totalB += run;
  if (totalA !== totalB) {
    throw new GeometryError("rle-shape-mismatch", `cannot merge runs covering ${totalA} and ${totalB} pixels`);
  }
  const out: number[] = [];
  let ia = 0;
  let ib = 0;
  let remA = a[0] ?? 0;
  let remB = b[0] ?? 0;
  let va = false;
  let vb = false;
  let current = false;
  let length = 0;
  let pos = 0;
  while (pos < totalA) {
    // Skip exhausted (or zero-length) runs; the totals guarantee a non-empty run remains.
    while (remA === 0) {
      ia += 1;
      remA = a[ia] ?? 0;
      va = !va;
    }
    while (remB === 0) {
      ib += 1;
      remB = b[ib] ?? 0;
      vb = !vb;
    }
    const step = Math.min(remA, remB);
    const v = combine(op, va, vb);
    if (v === current) {
      length += step;
    } else {
      out.push(length);
      current = v;
      length = step;
    }
    remA -= step;
    remB -= step;
    pos += step;
  }
  out.push(length);
  return out;
}

/**
 * Union, intersection or difference of two stored masks of the same size, computed on the
 * run lengths without decoding to pixels (cost ∝ number of runs, not of pixels). Throws
 * `rle-shape-mismatch` when sizes differ. Two empty masks merge to the empty mask.
 */
export function mergeRle(a: RleLike, b: RleLike, op: MaskMergeOp): CompressedRle {
  const [ha, wa] = readRleSize(a.size);
  const [hb, wb] = readRleSize(b.size);
  if (ha !== hb || wa !== wb) {
    throw new GeometryError("rle-shape-mismatch", `cannot merge a ${ha}x${wa} mask with a ${hb}x${wb} mask`);
  }
  const runsA = rleRuns(a);
  const runsB = rleRuns(b);
  if (ha * wa === 0) return emptyRle();
  return { size: [ha, wa], counts: runsToCounts(mergeRuns(runsA, runsB, op)) };
}

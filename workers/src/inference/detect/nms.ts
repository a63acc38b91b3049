/** A detector's candidate box in input pixels (corners), its best class and that class's score. */
export interface Candidate {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  readonly classIndex: number;
  readonly score: number;
}

function iou(a: Candidate, b: Candidate): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy per-class non-maximum suppression: best score first, a box is dropped when it overlaps a
 * kept box of the same class by more than `threshold` IoU. Ties keep the earlier candidate, so
 * the result is deterministic. At most `max` boxes, best first.
 */
export function nonMaxSuppression(list: readonly Candidate[], threshold: number, max: number): Candidate[] {
  const order = list.map((c, i) => ({ c, i })).sort((a, b) => b.c.score - a.c.score || a.i - b.i);
  const kept: Candidate[] = [];
  for (const { c } of order) {
    if (kept.length >= max) break;
    if (kept.some((k) => k.classIndex === c.classIndex && iou(k, c) > threshold)) continue;
    kept.push(c);
  }
  return kept;
}

/**
 * Dashed outlines (Pixi has no dashed strokes): splits a polyline given in screen pixels into
 * dash segments `[x0, y0, x1, y1, …]`, the pattern continuing across vertices.
 */
export function dashSegments(
  points: readonly number[],
  closed: boolean,
  dash = 6,
  gap = 4,
  out: number[] = [],
): number[] {
  out.length = 0;
  const n = points.length >> 1;
  if (n < 2) return out;
  const period = dash + gap;
  let phase = 0;
  const edges = closed ? n : n - 1;
  for (let e = 0; e < edges; e++) {
    const ax = points[e * 2] as number;
    const ay = points[e * 2 + 1] as number;
    const j = (e + 1) % n;
    const bx = points[j * 2] as number;
    const by = points[j * 2 + 1] as number;
    const len = Math.hypot(bx - ax, by - ay);
    if (len === 0) continue;
    let t = 0;
    while (t < len) {
      const inDash = phase < dash;
      const step = Math.min(len - t, inDash ? dash - phase : period - phase);
      if (inDash) {
        const t0 = t / len;
        const t1 = (t + step) / len;
        out.push(ax + (bx - ax) * t0, ay + (by - ay) * t0, ax + (bx - ax) * t1, ay + (by - ay) * t1);
      }
      t += step;
      phase = (phase + step) % period;
    }
  }
  return out;
}

/**
 * Rasterising brush strokes into a bitmask at image resolution: a stroke is a polyline of pointer
 * positions painted with a round brush, i.e. the union of capsules (all pixels whose centre lies
 * within `radius` of a segment). Pure and allocation-light so the brush tool stays testable.
 */

/**
 * Paints a stroke into a row-major `width × height` mask (value 1). `points` are flat pixel
 * coordinates; a single point paints a disc. Returns the number of pixels newly set.
 */
export function paintStroke(
  mask: Uint8Array,
  width: number,
  height: number,
  points: readonly number[],
  radius: number,
): number {
  let painted = 0;
  const r = Math.max(0.5, radius);
  const r2 = r * r;
  const n = points.length >> 1;
  for (let s = 0; s < Math.max(1, n - 1); s++) {
    const ax = points[s * 2] ?? 0;
    const ay = points[s * 2 + 1] ?? 0;
    const bx = n > 1 ? (points[s * 2 + 2] ?? ax) : ax;
    const by = n > 1 ? (points[s * 2 + 3] ?? ay) : ay;
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r));
    const x1 = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + r));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r));
    const y1 = Math.min(height - 1, Math.ceil(Math.max(ay, by) + r));
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      for (let x = x0; x <= x1; x++) {
        const cx = x + 0.5;
        let t = len2 === 0 ? 0 : ((cx - ax) * dx + (cy - ay) * dy) / len2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const qx = ax + t * dx - cx;
        const qy = ay + t * dy - cy;
        if (qx * qx + qy * qy <= r2) {
          const i = y * width + x;
          if (mask[i] === 0) {
            mask[i] = 1;
            painted++;
          }
        }
      }
    }
  }
  return painted;
}

/** A fresh bitmask of the view's size holding one stroke given in normalised coordinates. */
export function strokeMask(
  width: number,
  height: number,
  normalisedPoints: readonly number[],
  radius: number,
): { mask: Uint8Array; painted: number } {
  const mask = new Uint8Array(width * height);
  const px = normalisedPoints.map((v, i) => (i % 2 === 0 ? v * width : v * height));
  const painted = paintStroke(mask, width, height, px, radius);
  return { mask, painted };
}

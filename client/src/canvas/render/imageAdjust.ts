/**
 * The colour matrix for image brightness/contrast (both multipliers, 1 = unchanged):
 * `out = ((in − ½) · contrast + ½) · brightness` per channel, alpha untouched. Returned in Pixi's
 * ColorMatrixFilter layout (4 rows × 5 columns, offsets in 0..1). Null when neutral, so no filter
 * pass is paid for an unadjusted image.
 */
export function adjustmentMatrix(brightness: number, contrast: number): number[] | null {
  const b = Number.isFinite(brightness) ? Math.max(0, brightness) : 1;
  const c = Number.isFinite(contrast) ? Math.max(0, contrast) : 1;
  if (b === 1 && c === 1) return null;
  const k = c * b;
  const o = 0.5 * (1 - c) * b;
  return [k, 0, 0, 0, o, 0, k, 0, 0, o, 0, 0, k, 0, o, 0, 0, 0, 1, 0];
}

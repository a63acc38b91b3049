/**
 * Visual constants of the canvas. Strokes are 1 screen pixel (`pixelLine`) whatever the zoom;
 * annotation geometry is drawn white and coloured with `tint`, so a recolour never rebuilds
 * geometry. Sizes named `*Px` are screen pixels.
 */
export const STYLE = {
  fillAlpha: 0.14,
  maskAlpha: 0.45,
  lockedAlpha: 0.55,
  /** Pending model proposals: dimmed, with a dashed outline drawn over them by the overlay. */
  proposalAlpha: 0.45,
  keypointRadiusPx: 3.5,
  skeletonAlpha: 0.9,
  handlePx: 4,
  vertexPx: 3.5,
  hoverWidthPx: 2,
  selectionWidthPx: 2,
  previewColor: 0xffd400,
  eraserColor: 0xff5050,
  handleFill: 0xffffff,
  handleStroke: 0x202020,
  /** Labels are drawn for shapes at least this wide on screen. */
  labelMinPx: 40,
  maxLabels: 250,
  labelFontSize: 12,
  cursorFadeAfterMs: 3000,
  cursorFadeMs: 1500,
} as const;

/** Zoom quantised to steps of √2: zoom-dependent sizes redraw only when the step changes. */
export function zoomBucket(zoom: number): number {
  return Math.pow(2, Math.round(Math.log2(zoom) * 2) / 2);
}

/** `0xRRGGBB` from a CSS `#rrggbb` / `#rgb` string (people's colours come as CSS). */
export function cssToNumber(css: string | undefined, fallback = 0x9aa0a6): number {
  if (!css) return fallback;
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(css.trim());
  if (!m || !m[1]) return fallback;
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join("") : m[1];
  return parseInt(h, 16);
}

/** A colour darkened enough for white text to read on it. */
export function darken(color: number, k = 0.62): number {
  const r = Math.round(((color >> 16) & 0xff) * k);
  const g = Math.round(((color >> 8) & 0xff) * k);
  const b = Math.round((color & 0xff) * k);
  return (r << 16) | (g << 8) | b;
}

import type { BoxHandle, ToolContext, ToolPoint } from "./types.js";

/**
 * Small pure geometry used by the tools: clamping to the view, handle positions, resize and
 * translate rules, vertex picking. Distances that depend on the zoom (pick tolerances, "tiny
 * box") are expressed in screen pixels and converted with `ctx.pixel(viewId)`.
 */

/** Pick tolerance around handles and vertices, in screen pixels. */
export const PICK_PX = 6;
/** A pointer that moved less than this (screen px) since `down` is a click, not a drag. */
export const DRAG_THRESHOLD_PX = 3;
/** Boxes narrower or shorter than this on screen are refused as accidental. */
export const MIN_BOX_PX = 4;

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

export interface NBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** The pointer in a given view's normalised coordinates (gestures stay in the view they started in). */
export function pointIn(p: ToolPoint, viewId: string, ctx: ToolContext): [number, number] {
  if (p.viewId === viewId) return [p.x, p.y];
  const q = ctx.project(p, viewId);
  return [q.x, q.y];
}

/** Screen distance between two points (CSS px). */
export function screenDistance(a: ToolPoint, b: ToolPoint): number {
  return Math.hypot(a.sx - b.sx, a.sy - b.sy);
}

/**
 * The box spanned by an anchor and the pointer, clamped to the view. With `square` the box is a
 * square in image pixels (its side is the larger of the two extents), growing from the anchor.
 */
export function boxFromCorners(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  square: boolean,
  size: { width: number; height: number } | undefined,
): NBox {
  let dx = clamp01(bx) - ax;
  let dy = clamp01(by) - ay;
  if (square && size) {
    const side = Math.max(Math.abs(dx) * size.width, Math.abs(dy) * size.height);
    // Shrink the side until the square fits inside the view on the drag's side of the anchor.
    const roomX = (dx < 0 ? ax : 1 - ax) * size.width;
    const roomY = (dy < 0 ? ay : 1 - ay) * size.height;
    const s = Math.min(side, roomX, roomY);
    dx = (dx < 0 ? -s : s) / size.width;
    dy = (dy < 0 ? -s : s) / size.height;
  }
  const x = Math.min(ax, ax + dx);
  const y = Math.min(ay, ay + dy);
  return { x, y, w: Math.abs(dx), h: Math.abs(dy) };
}

export const BOX_HANDLES: readonly BoxHandle[] = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

/** Normalised position of a handle on a box. */
export function handlePosition(b: NBox, h: BoxHandle): [number, number] {
  const cx = b.x + b.w / 2;
  const cy = b.y + b.h / 2;
  const x = h.includes("w") ? b.x : h.includes("e") ? b.x + b.w : cx;
  const y = h.startsWith("n") ? b.y : h.startsWith("s") ? b.y + b.h : cy;
  return [x, y];
}

/** The handle of `b` within {@link PICK_PX} of the pointer (corners win over edges), or null. */
export function handleAt(b: NBox, p: ToolPoint, ctx: ToolContext): BoxHandle | null {
  const px = ctx.pixel(p.viewId);
  let best: BoxHandle | null = null;
  let bestD = PICK_PX;
  for (const h of BOX_HANDLES) {
    const [hx, hy] = handlePosition(b, h);
    const d = Math.hypot((p.x - hx) / px.x, (p.y - hy) / px.y);
    if (d <= bestD) {
      best = h;
      bestD = d;
    }
  }
  return best;
}

/**
 * Resizes `b` by dragging one handle to the normalised point (x, y). The opposite side stays put;
 * dragging past it flips the box; the result stays inside the view. `square` keeps corners square
 * in image pixels.
 */
export function resizeBox(
  b: NBox,
  handle: BoxHandle,
  x: number,
  y: number,
  square: boolean,
  size: { width: number; height: number } | undefined,
): NBox {
  let x0 = b.x;
  let y0 = b.y;
  let x1 = b.x + b.w;
  let y1 = b.y + b.h;
  const cx = clamp01(x);
  const cy = clamp01(y);
  if (handle.includes("w")) x0 = cx;
  if (handle.includes("e")) x1 = cx;
  if (handle.startsWith("n")) y0 = cy;
  if (handle.startsWith("s")) y1 = cy;
  const corner = handle.length === 2;
  if (square && corner && size) {
    // Anchor = the opposite corner; reuse the box-from-corners rule.
    const ax = handle.includes("w") ? b.x + b.w : b.x;
    const ay = handle.startsWith("n") ? b.y + b.h : b.y;
    return boxFromCorners(ax, ay, cx, cy, true, size);
  }
  return { x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0) };
}

/**
 * Offsets (dx, dy) limited so that bounds translated by them stay inside [0, 1]. A shape already
 * sticking out of the view may move back in but never further out.
 */
export function clampTranslation(
  bounds: readonly [number, number, number, number],
  dx: number,
  dy: number,
): [number, number] {
  return [clampAxis(bounds[0], bounds[2], dx), clampAxis(bounds[1], bounds[3], dy)];
}

function clampAxis(min: number, max: number, d: number): number {
  const lo = min >= 0 ? -min : 0;
  const hi = max <= 1 ? 1 - max : 0;
  return d < lo ? lo : d > hi ? hi : d;
}

/** Translates flat coordinates. */
export function translateCoords(coords: readonly number[], dx: number, dy: number): number[] {
  const out = new Array<number>(coords.length);
  for (let i = 0; i < coords.length; i += 2) {
    out[i] = (coords[i] as number) + dx;
    out[i + 1] = (coords[i + 1] as number) + dy;
  }
  return out;
}

/** Index of the vertex of `coords` nearest the pointer within {@link PICK_PX}, or -1. */
export function vertexAt(coords: readonly number[], p: ToolPoint, ctx: ToolContext): number {
  const px = ctx.pixel(p.viewId);
  let best = -1;
  let bestD = PICK_PX;
  for (let i = 0; i + 1 < coords.length; i += 2) {
    const d = Math.hypot((p.x - (coords[i] as number)) / px.x, (p.y - (coords[i + 1] as number)) / px.y);
    if (d <= bestD) {
      best = i / 2;
      bestD = d;
    }
  }
  return best;
}

/** Squared distance from (px, py) to the segment (ax, ay)–(bx, by). */
export function segmentDistance2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / len2;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const qx = ax + t * dx - px;
  const qy = ay + t * dy - py;
  return qx * qx + qy * qy;
}

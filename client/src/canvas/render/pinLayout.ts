import type { ReviewPin } from "@tessera/shared-crdt/api";
import type { Camera } from "../scene/camera.js";
import type { ViewTile } from "../scene/layout.js";

/**
 * Where review pins go on screen (SPEC RV9), and which view point a click or drag on the canvas
 * names. Pure: the canvas gives a {@link PinWorld} snapshot (camera, views, frame, the bounds of a
 * pinned object's shapes), the review panel the numbered pins; `ReviewPinLayer` only paints marks.
 */

/** One pinned thread as the review panel numbers it. */
export interface PinInput {
  readonly threadId: string;
  /** 1-based, stable: the thread's place among the record's pinned threads, oldest first. */
  readonly number: number;
  readonly pin: ReviewPin;
  readonly resolved: boolean;
  readonly author: string;
  /** The first line of the thread's first message (the hover text). */
  readonly firstLine: string;
}

/** A view on the canvas: its tile in the world and its logical name (a pin's `view_name`). */
export interface PinView {
  readonly tile: ViewTile;
  readonly name: string;
}

/** What the layout reads from the canvas at one moment. */
export interface PinWorld {
  readonly camera: Camera;
  readonly views: readonly PinView[];
  /** The current frame of a video record, -1 for an image record. */
  readonly frame: number;
  /**
   * World bounds `[minX, minY, maxX, maxY]` of the shapes a pinned object shows now (its annotation
   * when given and shown, else every shape of its entity), null when none is drawn: deleted,
   * hidden, or not on this frame.
   */
  objectBounds(entityId: string | undefined, annotationId: string | undefined): readonly number[] | null;
}

export type PinKind = "point" | "region" | "object";

/** A pin's mark on screen, in CSS pixels of the canvas. A point or object mark has `w = h = 0`. */
export interface PinMark {
  readonly threadId: string;
  readonly number: number;
  readonly kind: PinKind;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly resolved: boolean;
  readonly author: string;
  readonly firstLine: string;
}

/** How a pin is placed: a point, a region, an object, or nothing drawable (a whole record or view). */
export function pinKind(pin: ReviewPin): PinKind | null {
  if (pin.x !== undefined && pin.y !== undefined)
    return pin.w !== undefined && pin.h !== undefined ? "region" : "point";
  if (pin.entity_id !== undefined || pin.annotation_id !== undefined) return "object";
  return null;
}

function viewOf(world: PinWorld, name: string | undefined): PinView | undefined {
  return name === undefined ? world.views[0] : world.views.find((v) => v.name === name);
}

const sx = (c: Camera, wx: number) => c.x + wx * c.zoom;
const sy = (c: Camera, wy: number) => c.y + wy * c.zoom;

/**
 * The marks to draw, in the order given (later ones on top). Resolved threads are dropped unless
 * `showResolved` (then drawn dimmed: `resolved` is kept on the mark). On a video record a point or
 * region pin that names a frame shows on that frame only; an object pin follows the object on
 * every frame it is drawn on. A pin naming a view the record does not show is not drawn.
 */
export function layoutPins(
  pins: readonly PinInput[],
  world: PinWorld,
  opts: { readonly showResolved: boolean },
): PinMark[] {
  const out: PinMark[] = [];
  const c = world.camera;
  for (const p of pins) {
    if (p.resolved && !opts.showResolved) continue;
    const kind = pinKind(p.pin);
    if (!kind) continue;
    const base = {
      threadId: p.threadId,
      number: p.number,
      kind,
      resolved: p.resolved,
      author: p.author,
      firstLine: p.firstLine,
    };
    if (kind === "object") {
      const b = world.objectBounds(p.pin.entity_id, p.pin.annotation_id);
      if (!b) continue;
      const [minX = 0, minY = 0] = b;
      out.push({ ...base, x: sx(c, minX), y: sy(c, minY), w: 0, h: 0 });
      continue;
    }
    if (world.frame >= 0 && p.pin.frame_index !== undefined && p.pin.frame_index !== world.frame) continue;
    const v = viewOf(world, p.pin.view_name);
    if (!v) continue;
    const t = v.tile;
    const x = sx(c, t.x + (p.pin.x ?? 0) * t.width);
    const y = sy(c, t.y + (p.pin.y ?? 0) * t.height);
    if (kind === "point") out.push({ ...base, x, y, w: 0, h: 0 });
    else out.push({ ...base, x, y, w: (p.pin.w ?? 0) * t.width * c.zoom, h: (p.pin.h ?? 0) * t.height * c.zoom });
  }
  return out;
}

/** The view under a screen point and the point in it (normalised 0–1), null off every view. */
export function viewPointAt(
  world: PinWorld,
  sxp: number,
  syp: number,
): { readonly view: PinView; readonly x: number; readonly y: number } | null {
  const c = world.camera;
  const wx = (sxp - c.x) / c.zoom;
  const wy = (syp - c.y) / c.zoom;
  for (const v of world.views) {
    const t = v.tile;
    const x = (wx - t.x) / t.width;
    const y = (wy - t.y) / t.height;
    if (x >= 0 && x <= 1 && y >= 0 && y <= 1) return { view: v, x, y };
  }
  return null;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
/** Pins carry coordinates at this precision (well under a pixel of any image Tessera opens). */
const round = (v: number) => Math.round(clamp01(v) * 1e6) / 1e6;

/** Drags shorter than this (screen px) on the region tool are not a region. */
export const MIN_REGION_PX = 4;

/**
 * The pin a click (`point`) or a drag (`region`, from `a` to `b` in screen px) on the canvas makes:
 * normalised to the view the gesture started on, the region clamped to it, the frame of a video
 * record. Null when it started off every view, or a region drag was too small to mean one.
 */
export function pinFromGesture(
  world: PinWorld,
  kind: "point" | "region",
  a: { readonly x: number; readonly y: number },
  b: { readonly x: number; readonly y: number },
): ReviewPin | null {
  const start = viewPointAt(world, a.x, a.y);
  if (!start) return null;
  const frame = world.frame >= 0 ? { frame_index: world.frame } : {};
  const view_name = start.view.name;
  if (kind === "point") return { view_name, ...frame, x: round(start.x), y: round(start.y) };
  if (Math.abs(b.x - a.x) < MIN_REGION_PX || Math.abs(b.y - a.y) < MIN_REGION_PX) return null;
  const t = start.view.tile;
  const c = world.camera;
  const bx = clamp01(((b.x - c.x) / c.zoom - t.x) / t.width);
  const by = clamp01(((b.y - c.y) / c.zoom - t.y) / t.height);
  const x0 = round(Math.min(start.x, bx));
  const y0 = round(Math.min(start.y, by));
  const x1 = round(Math.max(start.x, bx));
  const y1 = round(Math.max(start.y, by));
  return { view_name, ...frame, x: x0, y: y0, w: round(x1 - x0), h: round(y1 - y0) };
}

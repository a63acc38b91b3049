import type { Viewport } from "../types.js";
import { toNormX, toNormY, toWorldX, toWorldY, type ViewTile } from "./layout.js";

/**
 * The camera: the world container's translation (screen px) and scale (screen px per image px).
 * Pure functions convert between screen, world and the contract's {@link Viewport} (centre
 * normalised in a view + zoom), which is what awareness and follow mode exchange.
 */
export interface Camera {
  readonly x: number;
  readonly y: number;
  readonly zoom: number;
}

const MIN_ZOOM = 0.01;
export const MAX_ZOOM = 64;

function clampZoom(z: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
}

export function screenToWorldX(c: Camera, sx: number): number {
  return (sx - c.x) / c.zoom;
}

export function screenToWorldY(c: Camera, sy: number): number {
  return (sy - c.y) / c.zoom;
}

/** Zooms by `factor` keeping the world point under (sx, sy) fixed on screen. */
export function zoomAt(c: Camera, sx: number, sy: number, factor: number): Camera {
  const zoom = clampZoom(c.zoom * factor);
  const wx = screenToWorldX(c, sx);
  const wy = screenToWorldY(c, sy);
  return { zoom, x: sx - wx * zoom, y: sy - wy * zoom };
}

export function panBy(c: Camera, dx: number, dy: number): Camera {
  return { zoom: c.zoom, x: c.x + dx, y: c.y + dy };
}

/** The camera showing world bounds whole and centred, with a margin in screen px. */
export function fitCamera(
  bounds: readonly [number, number, number, number],
  screenW: number,
  screenH: number,
  margin = 16,
): Camera {
  const bw = Math.max(1, bounds[2] - bounds[0]);
  const bh = Math.max(1, bounds[3] - bounds[1]);
  const zoom = clampZoom(Math.min((screenW - 2 * margin) / bw, (screenH - 2 * margin) / bh));
  return centredOn((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, zoom, screenW, screenH);
}

export function centredOn(wx: number, wy: number, zoom: number, screenW: number, screenH: number): Camera {
  return { zoom, x: screenW / 2 - wx * zoom, y: screenH / 2 - wy * zoom };
}

/** The world rectangle on screen `[minX, minY, maxX, maxY]` (written into `out` when given: per-frame callers allocate nothing). */
export function visibleWorld(
  c: Camera,
  screenW: number,
  screenH: number,
  out: [number, number, number, number] = [0, 0, 0, 0],
): [number, number, number, number] {
  out[0] = screenToWorldX(c, 0);
  out[1] = screenToWorldY(c, 0);
  out[2] = screenToWorldX(c, screenW);
  out[3] = screenToWorldY(c, screenH);
  return out;
}

/** The contract viewport: centre expressed in the view `tile` (normally the first one). */
export function viewportOf(c: Camera, tile: ViewTile, screenW: number, screenH: number): Viewport {
  const wx = screenToWorldX(c, screenW / 2);
  const wy = screenToWorldY(c, screenH / 2);
  return { viewId: tile.id, cx: toNormX(tile, wx), cy: toNormY(tile, wy), zoom: c.zoom };
}

/** The camera for a viewport received from someone else (their screen may differ in size). */
export function cameraOf(v: Viewport, tile: ViewTile, screenW: number, screenH: number): Camera {
  return centredOn(toWorldX(tile, v.cx), toWorldY(tile, v.cy), clampZoom(v.zoom), screenW, screenH);
}

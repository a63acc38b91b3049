import type { CanvasView } from "../types.js";

/**
 * Where each view of a record sits in the world: views are tiled left to right at their native
 * pixel size (world unit = one image pixel), separated by a small gap. Annotation coordinates are
 * normalised per view, so these pure functions are the only place that maps between the two.
 */
export interface ViewTile {
  readonly id: string;
  readonly index: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Gap between tiled views, as a fraction of the tallest view. */
const TILE_GAP = 0.03;

export function tileViews(views: readonly Pick<CanvasView, "id" | "width" | "height">[]): ViewTile[] {
  const maxH = views.reduce((m, v) => Math.max(m, v.height), 0);
  const gap = Math.round(maxH * TILE_GAP);
  const out: ViewTile[] = [];
  let x = 0;
  views.forEach((v, index) => {
    out.push({ id: v.id, index, x, y: 0, width: Math.max(1, v.width), height: Math.max(1, v.height) });
    x += Math.max(1, v.width) + gap;
  });
  return out;
}

/** World bounds of all tiles `[minX, minY, maxX, maxY]`. */
export function tilesBounds(tiles: readonly ViewTile[]): [number, number, number, number] {
  if (tiles.length === 0) return [0, 0, 1, 1];
  let maxX = 0;
  let maxY = 0;
  for (const t of tiles) {
    maxX = Math.max(maxX, t.x + t.width);
    maxY = Math.max(maxY, t.y + t.height);
  }
  return [0, 0, maxX, maxY];
}

/** The tile under a world point; between or beside tiles, the horizontally nearest one. */
export function tileAt(tiles: readonly ViewTile[], wx: number): ViewTile | undefined {
  let best: ViewTile | undefined;
  let bestD = Infinity;
  for (const t of tiles) {
    const d = wx < t.x ? t.x - wx : wx > t.x + t.width ? wx - (t.x + t.width) : 0;
    if (d < bestD) {
      best = t;
      bestD = d;
    }
  }
  return best;
}

export function toWorldX(t: ViewTile, nx: number): number {
  return t.x + nx * t.width;
}

export function toWorldY(t: ViewTile, ny: number): number {
  return t.y + ny * t.height;
}

export function toNormX(t: ViewTile, wx: number): number {
  return (wx - t.x) / t.width;
}

export function toNormY(t: ViewTile, wy: number): number {
  return (wy - t.y) / t.height;
}

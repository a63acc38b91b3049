import type { Graphics } from "pixi.js";
import type { Camera } from "../scene/camera.js";
import type { ViewTile } from "../scene/layout.js";
import type { Ring } from "../../kinds/KindView.js";
import { dashSegments } from "./dash.js";

/**
 * Screen-space drawing primitives for the overlays (hover, selection, previews, other people's
 * selections): few shapes, redrawn when the camera or the shapes change, with constant-size
 * strokes and handles whatever the zoom. Kind modules draw with them; `client/src/kinds/draw.ts`
 * picks the kind of each shape.
 */
export interface ScreenXf {
  readonly cam: Camera;
  readonly tile: ViewTile;
}

export function sx(xf: ScreenXf, nx: number): number {
  return xf.cam.x + (xf.tile.x + nx * xf.tile.width) * xf.cam.zoom;
}

export function sy(xf: ScreenXf, ny: number): number {
  return xf.cam.y + (xf.tile.y + ny * xf.tile.height) * xf.cam.zoom;
}

/** Screen points of `count` vertices of flat normalised `coords`, from vertex `from`. */
export function ringPoints(xf: ScreenXf, coords: readonly number[], from: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++)
    out.push(sx(xf, coords[(from + i) * 2] as number), sy(xf, coords[(from + i) * 2 + 1] as number));
  return out;
}

/** The closed ring of a normalised box in screen pixels. */
export function boxRing(xf: ScreenXf, x: number, y: number, w: number, h: number): Ring {
  const x0 = sx(xf, x);
  const y0 = sy(xf, y);
  const x1 = sx(xf, x + w);
  const y1 = sy(xf, y + h);
  return { points: [x0, y0, x1, y0, x1, y1, x0, y1], closed: true };
}

export function strokeRings(
  g: Graphics,
  rings: ReadonlyArray<{ points: number[]; closed: boolean }>,
  width: number,
  color: number,
  alpha = 1,
): void {
  for (const r of rings) {
    if (r.points.length < 4) continue;
    g.poly(r.points, r.closed).stroke({ width, color, alpha, join: "round" });
  }
}

export function dashRings(
  g: Graphics,
  rings: ReadonlyArray<{ points: number[]; closed: boolean }>,
  width: number,
  color: number,
  scratch: number[],
): void {
  for (const r of rings) {
    const segs = dashSegments(r.points, r.closed, 6, 4, scratch);
    for (let i = 0; i < segs.length; i += 4)
      g.moveTo(segs[i] as number, segs[i + 1] as number).lineTo(segs[i + 2] as number, segs[i + 3] as number);
  }
  g.stroke({ width, color });
}

import type { Graphics } from "pixi.js";
import type { Shape } from "../../tools/types.js";
import type { Camera } from "../scene/camera.js";
import type { ViewTile } from "../scene/layout.js";
import { BOX_HANDLES, handlePosition } from "../../tools/geometry.js";
import { dashSegments } from "./dash.js";
import { STYLE } from "./style.js";

/**
 * Drawing shapes in screen space for the overlays (hover, selection, previews, other people's
 * selections): few shapes, redrawn when the camera or the shapes change, with constant-size
 * strokes and handles whatever the zoom.
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

function ringPoints(xf: ScreenXf, coords: readonly number[], from: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++)
    out.push(sx(xf, coords[(from + i) * 2] as number), sy(xf, coords[(from + i) * 2 + 1] as number));
  return out;
}

/** Outline rings of a shape in screen pixels, each with whether it closes. */
export function outlineRings(xf: ScreenXf, shape: Shape): Array<{ points: number[]; closed: boolean }> {
  switch (shape.kind) {
    case "box": {
      const x0 = sx(xf, shape.x);
      const y0 = sy(xf, shape.y);
      const x1 = sx(xf, shape.x + shape.w);
      const y1 = sy(xf, shape.y + shape.h);
      return [{ points: [x0, y0, x1, y0, x1, y1, x0, y1], closed: true }];
    }
    case "mask": {
      const [x, y, w, h] = shape.box;
      return outlineRings(xf, { kind: "box", viewId: shape.viewId, x, y, w, h });
    }
    case "path": {
      const out: Array<{ points: number[]; closed: boolean }> = [];
      let offset = 0;
      for (const n of shape.numPoints) {
        out.push({ points: ringPoints(xf, shape.coords, offset, n), closed: shape.closed });
        offset += n;
      }
      return out;
    }
    case "keypoints":
      return [];
    case "draft": {
      const out = shape.rings.map((r) => ({ points: ringPoints(xf, r, 0, r.length / 2), closed: shape.closed }));
      const cur = ringPoints(xf, shape.current, 0, shape.current.length / 2);
      if (shape.pointer) cur.push(sx(xf, shape.pointer[0]), sy(xf, shape.pointer[1]));
      out.push({ points: cur, closed: false });
      return out;
    }
    case "stroke":
      return [];
  }
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

/** Square handles (boxes: the 8 resize handles; paths and keypoints: every vertex). */
export function drawHandles(g: Graphics, xf: ScreenXf, shape: Shape, color: number): void {
  const pts: number[] = [];
  if (shape.kind === "box") {
    for (const h of BOX_HANDLES) {
      const [x, y] = handlePosition(shape, h);
      pts.push(sx(xf, x), sy(xf, y));
    }
  } else if (shape.kind === "path" || shape.kind === "keypoints") {
    for (let i = 0; i + 1 < shape.coords.length; i += 2)
      pts.push(sx(xf, shape.coords[i] as number), sy(xf, shape.coords[i + 1] as number));
  }
  const r = shape.kind === "box" ? STYLE.handlePx : STYLE.vertexPx;
  for (let i = 0; i < pts.length; i += 2) g.rect((pts[i] as number) - r, (pts[i + 1] as number) - r, 2 * r, 2 * r);
  if (pts.length > 0) g.fill({ color: STYLE.handleFill }).stroke({ width: 1, color });
}

/** Keypoint markers in screen space (previews and highlights). */
export function drawKeypointMarkers(
  g: Graphics,
  xf: ScreenXf,
  shape: Extract<Shape, { kind: "keypoints" }>,
  edges: ReadonlyArray<readonly [number, number]>,
  color: number,
): void {
  const n = shape.coords.length / 2;
  const px = (i: number) => sx(xf, shape.coords[i * 2] as number);
  const py = (i: number) => sy(xf, shape.coords[i * 2 + 1] as number);
  for (const [a, b] of edges) if (a < n && b < n) g.moveTo(px(a), py(a)).lineTo(px(b), py(b));
  g.stroke({ width: 1.5, color });
  for (let i = 0; i < n; i++) g.circle(px(i), py(i), STYLE.keypointRadiusPx + 1);
  g.fill({ color });
}

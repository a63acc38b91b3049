import type { Graphics } from "pixi.js";
import type { Shape } from "../../tools/types.js";
import type { Camera } from "../scene/camera.js";
import type { ViewTile } from "../scene/layout.js";
import { BOX_HANDLES, handlePosition } from "../../tools/geometry.js";
import { hasVertices, type MarkEnv, type Ring } from "../../kinds/KindView.js";
import { geometryOf, kindOfShape } from "../../kinds/registry.js";
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

/** Outline rings of a shape in screen pixels, each with whether it closes (none for an unknown kind). */
export function outlineRings(xf: ScreenXf, shape: Shape): Ring[] {
  return geometryOf(shape)?.outline(xf, shape) ?? [];
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

/**
 * Square handles: the 8 resize handles of a kind with a handle box (boxes), else every draggable
 * vertex (paths, keypoints).
 */
export function drawHandles(g: Graphics, xf: ScreenXf, shape: Shape, color: number): void {
  const kind = kindOfShape(shape);
  if (!kind) return;
  const pts: number[] = [];
  const box = kind.handleBox?.(shape);
  if (box) {
    for (const h of BOX_HANDLES) {
      const [x, y] = handlePosition(box, h);
      pts.push(sx(xf, x), sy(xf, y));
    }
  } else if (hasVertices(kind)) {
    const coords = kind.vertices(shape);
    for (let i = 0; i + 1 < coords.length; i += 2)
      pts.push(sx(xf, coords[i] as number), sy(xf, coords[i + 1] as number));
  }
  const r = box ? STYLE.handlePx : STYLE.vertexPx;
  for (let i = 0; i < pts.length; i += 2) g.rect((pts[i] as number) - r, (pts[i + 1] as number) - r, 2 * r, 2 * r);
  if (pts.length > 0) g.fill({ color: STYLE.handleFill }).stroke({ width: 1, color });
}

/** Extra marks of a shape's kind (keypoint markers) drawn with its outline. */
export function drawMarks(g: Graphics, xf: ScreenXf, shape: Shape, color: number, env: MarkEnv): void {
  geometryOf(shape)?.marks?.(g, xf, shape, color, env);
}

/** The preview of a shape being drawn. */
export function drawPreview(g: Graphics, xf: ScreenXf, shape: Shape, env: MarkEnv): void {
  const geo = geometryOf(shape);
  if (!geo) return;
  if (geo.drawPreview) {
    geo.drawPreview(g, xf, shape, env);
    return;
  }
  strokeRings(g, geo.outline(xf, shape), 1.5, STYLE.previewColor);
  geo.marks?.(g, xf, shape, STYLE.previewColor, env);
}

import type { Graphics } from "pixi.js";
import { strokeRings, sx, sy, type ScreenXf } from "../canvas/render/screenShapes.js";
import { STYLE } from "../canvas/render/style.js";
import { BOX_HANDLES, handlePosition } from "../tools/geometry.js";
import type { Shape } from "../tools/types.js";
import { hasVertices, type MarkEnv, type Ring } from "./KindView.js";
import { geometryOf, kindOfShape } from "./registry.js";

/**
 * Screen-space drawing of any shape by its kind (`./*.kind.ts`) or preview (`./previews.ts`): the
 * overlays' outlines, handles, marks and previews. An unknown kind draws nothing (logged once by
 * the registry).
 */

/** Outline rings of a shape in screen pixels, each with whether it closes. */
export function outlineRings(xf: ScreenXf, shape: Shape): Ring[] {
  return geometryOf(shape)?.outline(xf, shape) ?? [];
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

/** The preview of a shape being drawn: the kind's own, else its outline and marks in the preview colour. */
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

import { BoxView } from "../canvas/render/views/BoxView.js";
import { boxRing } from "../canvas/render/screenShapes.js";
import { bboxTool } from "../tools/bboxTool.js";
import { boxPatch, numbers, viewIdOf } from "../tools/shapes.js";
import type { KindView } from "./KindView.js";

/** `bboxes`: an axis-aligned box; pixel or `xyxy` rows are normalised to `xywh` when read. */
export const kindView: KindView<"box"> = {
  table: "bboxes",
  shape: "box",
  order: 10,
  label: "box",
  geometryFields: ["coords", "format", "is_normalized"],
  shapeOfRow(row, sizeOf) {
    const viewId = viewIdOf(row);
    const c = numbers(row.coords);
    if (c.length !== 4) return null;
    let [x, y, a, b] = c as [number, number, number, number];
    if (row.format === "xyxy") {
      a -= x;
      b -= y;
    }
    if (row.is_normalized === false) {
      const s = sizeOf(viewId);
      if (!s || s.width <= 0 || s.height <= 0) return null;
      x /= s.width;
      a /= s.width;
      y /= s.height;
      b /= s.height;
    }
    return { kind: "box", viewId, x, y, w: a, h: b };
  },
  bounds: (s) => [s.x, s.y, s.x + s.w, s.y + s.h],
  hitScore(s, tile, wx, wy, tol) {
    const nx = (wx - tile.x) / tile.width;
    const ny = (wy - tile.y) / tile.height;
    const tx = tol / tile.width;
    const ty = tol / tile.height;
    if (nx < s.x - tx || nx > s.x + s.w + tx || ny < s.y - ty || ny > s.y + s.h + ty) return -1;
    return s.w * tile.width * s.h * tile.height;
  },
  outline: (xf, s) => [boxRing(xf, s.x, s.y, s.w, s.h)],
  createView: (item, env) => new BoxView(item, env),
  handleBox: (s) => ({ x: s.x, y: s.y, w: s.w, h: s.h }),
  resizePatch: (b) => boxPatch(b.x, b.y, b.w, b.h),
  translate: (s, dx, dy) => boxPatch(s.x + dx, s.y + dy, s.w, s.h),
  tools: [
    {
      name: "bbox",
      key: "r",
      label: "Bounding box",
      icon: "M4 5h14v12H4z",
      cursor: "crosshair",
      tool: bboxTool,
    },
  ],
};

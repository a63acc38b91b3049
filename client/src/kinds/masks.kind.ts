import { rleToBbox } from "@tessera/shared-crdt";
import { MaskTextureCache, MaskView } from "../canvas/render/views/MaskView.js";
import { boxRing } from "../canvas/render/screenShapes.js";
import { maskBit, maskRunsOf } from "../canvas/scene/hitTest.js";
import { brushTool } from "../tools/brushTool.js";
import { segmentTool } from "../tools/segmentTool.js";
import { numbers, viewIdOf } from "../tools/shapes.js";
import type { KindView } from "./KindView.js";

const brush = brushTool("brush");
const eraser = brushTool("eraser");

/**
 * `masks`: a COCO RLE, drawn as a tinted sprite of the decoded pixels (textures shared per RLE),
 * painted and erased with the brush. Masks are not moved (their RLE would need re-encoding).
 */
export const kindView: KindView<"mask"> = {
  table: "masks",
  shape: "mask",
  order: 40,
  label: "mask",
  geometryFields: ["size", "counts"],
  shapeOfRow(row) {
    const size = numbers(row.size);
    const counts = typeof row.counts === "string" ? row.counts : "";
    const [h, w] = size;
    if (size.length !== 2 || h === undefined || w === undefined || h <= 0 || w <= 0) return null;
    let px: [number, number, number, number];
    try {
      px = rleToBbox({ size, counts });
    } catch (e) {
      // A malformed RLE cannot be drawn; the server repairs invalid rows (D-REPAIR), so skipping is safe.
      console.warn(`masks[${String(row.id)}]: undrawable RLE`, e);
      return null;
    }
    const box: [number, number, number, number] = [px[0] / w, px[1] / h, px[2] / w, px[3] / h];
    return { kind: "mask", viewId: viewIdOf(row), rle: { size, counts }, box };
  },
  bounds: (s) => [s.box[0], s.box[1], s.box[0] + s.box[2], s.box[1] + s.box[3]],
  hitScore(s, tile, wx, wy, _tol, cached) {
    const nx = (wx - tile.x) / tile.width;
    const ny = (wy - tile.y) / tile.height;
    const [x, y, w, h] = s.box;
    if (nx < x || nx > x + w || ny < y || ny > y + h) return -1;
    const runs = cached(() => maskRunsOf(s));
    const mh = s.rle.size[0] ?? 0;
    const mw = s.rle.size[1] ?? 0;
    if (!runs || mh === 0 || mw === 0) return -1;
    const px = Math.min(mw - 1, Math.max(0, Math.floor(nx * mw)));
    const py = Math.min(mh - 1, Math.max(0, Math.floor(ny * mh)));
    return maskBit(runs, px * mh + py) ? w * tile.width * h * tile.height : -1;
  },
  outline: (xf, s) => [boxRing(xf, s.box[0], s.box[1], s.box[2], s.box[3])],
  createView: (item, env) => new MaskView(item, env, env.shared(MaskTextureCache)),
  tools: [
    {
      name: "brush",
      key: "b",
      label: "Brush (mask)",
      icon: "M4 17c3 0 4-2 4-4l8-9 2 2-9 8c0 2-2 3-5 3z",
      cursor: "crosshair",
      tool: brush,
      options: ["brushSize"],
    },
    {
      name: "eraser",
      key: "e",
      label: "Eraser (mask)",
      icon: "M4 14l7-8 6 6-5 5H8z M11 17h7",
      cursor: "crosshair",
      tool: eraser,
      options: ["brushSize"],
    },
    {
      name: "segment",
      key: "s",
      label: "Segment (click; Alt+click: not this; drag: box; Enter accept, Esc discard)",
      icon: "M11 3a8 8 0 1 0 0 16a8 8 0 1 0 0-16z M11 8v6 M8 11h6",
      cursor: "crosshair",
      tool: segmentTool,
    },
  ],
};

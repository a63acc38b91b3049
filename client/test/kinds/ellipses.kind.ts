import { registeredTableName } from "@tessera/shared-crdt";
import { batchedGraphics } from "../../src/canvas/render/views/batched.js";
import type { AnnotationView, ViewEnv, ViewStyle } from "../../src/canvas/render/views/AnnotationView.js";
import type { SceneItem } from "../../src/canvas/scene/SceneModel.js";
import { sx, sy } from "../../src/canvas/render/screenShapes.js";
import type { PlainKindView, Ring } from "../../src/kinds/KindView.js";
import { boxFromCorners, MIN_BOX_PX, pointIn } from "../../src/tools/geometry.js";
import { step, type Tool, type ToolContext } from "../../src/tools/types.js";

/**
 * The client half of the test-only `ellipses` kind (docs/ARCHITECTURE.md §9, "Recipe: add a kind",
 * the worked example), in one module: the ellipse of a row of its own `ellipses` table (normalised
 * `cx, cy, rx, ry`), with its geometry, hit test, Pixi view, outline, the select tool's hooks and a
 * drawing tool ("ellipse", key O) that drags its bounding box. A kind of the product would live in
 * `client/src/kinds/` and be found by the registry's glob; tests register this one with
 * `registerKindView`. Its data half (`shared-crdt/test/kinds/ellipses.kind.ts`) must be registered
 * first: the table name is looked up in the kind registry when this module loads.
 */

/** The kind's table, as the data half registered it (throws when it did not). */
export const ELLIPSES = registeredTableName("ellipses");

interface EllipseShape {
  readonly kind: "ellipse";
  readonly viewId: string;
  readonly cx: number;
  readonly cy: number;
  readonly rx: number;
  readonly ry: number;
}

declare module "../../src/tools/types.js" {
  interface ShapeKinds {
    ellipse: EllipseShape;
  }
}

declare module "../../src/canvas/types.js" {
  interface ToolNames {
    ellipse: true;
  }
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The ellipse's retained view: one outline in the strokes layer. */
class EllipseView implements AnnotationView {
  readonly zoomDependent = false;
  drawnZoom = 0;
  readonly g = batchedGraphics();

  constructor(
    readonly item: SceneItem,
    env: ViewEnv,
  ) {
    env.layers.strokes.addChild(this.g);
  }

  redraw(zoom: number): void {
    const s = this.item.shape;
    if (s.kind !== "ellipse") return;
    const t = this.item.tile;
    this.g
      .clear()
      .ellipse(t.x + s.cx * t.width, t.y + s.cy * t.height, s.rx * t.width, s.ry * t.height)
      .stroke({ width: 1, color: 0xffffff, pixelLine: true });
    this.drawnZoom = zoom;
  }

  restyle(style: ViewStyle): void {
    this.g.tint = style.color;
    this.g.alpha = style.alpha;
  }

  setVisible(visible: boolean): void {
    this.g.visible = visible;
  }

  destroy(): void {
    this.g.destroy();
  }
}

type EllipseState =
  | { readonly phase: "idle" }
  | { readonly phase: "drawing"; readonly viewId: string; readonly ax: number; readonly ay: number };

const IDLE: EllipseState = { phase: "idle" };

function ellipseIn(viewId: string, ax: number, ay: number, x: number, y: number, ctx: ToolContext): EllipseShape {
  const b = boxFromCorners(ax, ay, x, y, false, ctx.viewSize(viewId));
  return { kind: "ellipse", viewId, cx: b.x + b.w / 2, cy: b.y + b.h / 2, rx: b.w / 2, ry: b.h / 2 };
}

/** Drag the bounding box of an ellipse; a box under {@link MIN_BOX_PX} is refused. */
const ellipseTool: Tool<EllipseState> = {
  name: "ellipse",
  initial: () => IDLE,
  transition(state, event, ctx) {
    if (event.type === "down" && event.button === 0 && ctx.editable)
      return step({ phase: "drawing", viewId: event.p.viewId, ax: event.p.x, ay: event.p.y });
    if (state.phase !== "drawing") return step(state);
    if (event.type === "move" || event.type === "up") {
      const [x, y] = pointIn(event.p, state.viewId, ctx);
      const e = ellipseIn(state.viewId, state.ax, state.ay, x, y, ctx);
      if (event.type === "move") return step(state, [{ type: "preview", shape: e }]);
      const px = ctx.pixel(state.viewId);
      if (2 * e.rx < MIN_BOX_PX * px.x || 2 * e.ry < MIN_BOX_PX * px.y)
        return step(IDLE, [
          { type: "preview", shape: null },
          { type: "refuse", reason: "too small" },
        ]);
      return step(IDLE, [
        { type: "preview", shape: null },
        { type: "create", table: ELLIPSES, row: { view_id: e.viewId, cx: e.cx, cy: e.cy, rx: e.rx, ry: e.ry } },
      ]);
    }
    if (event.type === "cancel" || event.type === "leave") return step(IDLE, [{ type: "preview", shape: null }]);
    return step(state);
  },
};

export const ellipseKind: PlainKindView<"ellipse"> = {
  table: ELLIPSES,
  shape: "ellipse",
  order: 50,
  label: "ellipse",
  geometryFields: ["cx", "cy", "rx", "ry"],
  shapeOfRow(row) {
    const [cx, cy, rx, ry] = [num(row.cx), num(row.cy), num(row.rx), num(row.ry)];
    if (cx === null || cy === null || rx === null || ry === null || rx <= 0 || ry <= 0) return null;
    return { kind: "ellipse", viewId: typeof row.view_id === "string" ? row.view_id : "", cx, cy, rx, ry };
  },
  bounds: (s) => [s.cx - s.rx, s.cy - s.ry, s.cx + s.rx, s.cy + s.ry],
  hitScore(s, tile, wx, wy, tol) {
    const dx = (wx - (tile.x + s.cx * tile.width)) / (s.rx * tile.width + tol);
    const dy = (wy - (tile.y + s.cy * tile.height)) / (s.ry * tile.height + tol);
    return dx * dx + dy * dy <= 1 ? Math.PI * s.rx * tile.width * s.ry * tile.height : -1;
  },
  outline(xf, s) {
    const ring: Ring = { points: [], closed: true };
    for (let i = 0; i < 32; i++) {
      const a = (i / 32) * 2 * Math.PI;
      ring.points.push(sx(xf, s.cx + s.rx * Math.cos(a)), sy(xf, s.cy + s.ry * Math.sin(a)));
    }
    return [ring];
  },
  createView: (item, env) => new EllipseView(item, env),
  handleBox: (s) => ({ x: s.cx - s.rx, y: s.cy - s.ry, w: 2 * s.rx, h: 2 * s.ry }),
  resizePatch: (b) => ({ cx: b.x + b.w / 2, cy: b.y + b.h / 2, rx: b.w / 2, ry: b.h / 2 }),
  translate: (s, dx, dy) => ({ cx: s.cx + dx, cy: s.cy + dy }),
  tools: [
    {
      name: "ellipse",
      key: "o",
      label: "Ellipse",
      icon: "M3 11a8 5 0 1016 0a8 5 0 10-16 0",
      cursor: "crosshair",
      tool: ellipseTool,
    },
  ],
};

import { boxFromCorners, clamp01, MIN_BOX_PX, pointIn, type NBox } from "./geometry.js";
import { boxRowFields } from "./shapes.js";
import { step, type Effect, type Tool, type ToolContext, type ToolPoint, type Transition } from "./types.js";

/**
 * Box drawing: press, drag, release. Shift constrains to a square (in image pixels), Esc cancels,
 * boxes smaller than {@link MIN_BOX_PX} screen pixels are refused as accidental clicks. The box is
 * written normalised `xywh` with confidence 1 and `source_type: "human"` (Pixano's UI convention),
 * then the canvas returns to the select tool (N repeats the tool).
 */
export type BboxState =
  | { readonly phase: "idle" }
  | {
      readonly phase: "drawing";
      readonly viewId: string;
      readonly ax: number;
      readonly ay: number;
      readonly last: ToolPoint;
      readonly square: boolean;
    };

const IDLE: BboxState = { phase: "idle" };

function boxOf(s: Extract<BboxState, { phase: "drawing" }>, ctx: ToolContext): NBox {
  const [x, y] = pointIn(s.last, s.viewId, ctx);
  return boxFromCorners(s.ax, s.ay, x, y, s.square, ctx.viewSize(s.viewId));
}

function preview(s: Extract<BboxState, { phase: "drawing" }>, ctx: ToolContext): Effect {
  const b = boxOf(s, ctx);
  return { type: "preview", shape: { kind: "box", viewId: s.viewId, ...b } };
}

export const bboxTool: Tool<BboxState> = {
  name: "bbox",
  initial: () => IDLE,
  transition(state, event, ctx): Transition<BboxState> {
    switch (event.type) {
      case "down": {
        if (event.button !== 0) return step(state);
        if (!ctx.editable) return step(state, [{ type: "refuse", reason: "read-only" }]);
        const s = {
          phase: "drawing",
          viewId: event.p.viewId,
          ax: clamp01(event.p.x),
          ay: clamp01(event.p.y),
          last: event.p,
          square: event.shift,
        } as const;
        return step(s, [preview(s, ctx)]);
      }
      case "move": {
        if (state.phase !== "drawing") return step(state);
        const s = { ...state, last: event.p, square: event.shift };
        return step(s, [preview(s, ctx)]);
      }
      case "up": {
        if (state.phase !== "drawing") return step(state);
        const s = { ...state, last: event.p, square: event.shift };
        const b = boxOf(s, ctx);
        const px = ctx.pixel(s.viewId);
        if (b.w / px.x < MIN_BOX_PX || b.h / px.y < MIN_BOX_PX) {
          return step(IDLE, [
            { type: "preview", shape: null },
            { type: "refuse", reason: "box too small" },
          ]);
        }
        return step(IDLE, [
          { type: "preview", shape: null },
          { type: "create", table: "bboxes", row: boxRowFields(s.viewId, b.x, b.y, b.w, b.h) },
          { type: "switchTool", tool: "select" },
        ]);
      }
      case "key": {
        if (state.phase !== "drawing") return step(state, [], false);
        if (event.key === "Escape" && event.phase === "down")
          return step(IDLE, [{ type: "preview", shape: null }], true);
        if (event.key === "Shift") {
          const s = { ...state, square: event.phase === "down" };
          return step(s, [preview(s, ctx)], true);
        }
        return step(state, [], false);
      }
      case "cancel":
        return state.phase === "idle" ? step(state) : step(IDLE, [{ type: "preview", shape: null }]);
      case "leave":
        return step(state);
    }
  },
};

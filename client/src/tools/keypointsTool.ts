import type { KeypointTemplate } from "../canvas/types.js";
import { boxFromCorners, clamp01, MIN_BOX_PX, pointIn, type NBox } from "./geometry.js";
import {
  step,
  type Effect,
  type Shape,
  type Tool,
  type ToolContext,
  type ToolPoint,
  type Transition,
} from "./types.js";

/**
 * Keypoint placement from a template: drag a box and the template's default layout is fitted into
 * it (a plain click places it at a default size around the pointer). Every point starts
 * `visible`; afterwards the select tool moves points and a click on a point cycles its state
 * (visible → invisible → hidden). Esc cancels; without a template the gesture is refused.
 */
export type KeypointsState =
  | { readonly phase: "idle" }
  | {
      readonly phase: "placing";
      readonly viewId: string;
      readonly ax: number;
      readonly ay: number;
      readonly last: ToolPoint;
    };

const IDLE: KeypointsState = { phase: "idle" };
/** Side of the box a plain click places the template in, in screen pixels. */
export const CLICK_PLACE_PX = 120;
const KEYPOINT_STATE_CYCLE = ["visible", "invisible", "hidden"] as const;

/** The next state in the visible → invisible → hidden cycle (unknown states restart at visible). */
export function nextKeypointState(state: string | undefined): string {
  const i = KEYPOINT_STATE_CYCLE.indexOf(state as (typeof KEYPOINT_STATE_CYCLE)[number]);
  return KEYPOINT_STATE_CYCLE[(i + 1) % KEYPOINT_STATE_CYCLE.length] as string;
}

/** The template's layout fitted into a normalised box. */
function layoutInBox(t: KeypointTemplate, b: NBox): number[] {
  const out: number[] = [];
  for (let i = 0; i < t.labels.length; i++) {
    const [lx, ly] = t.layout[i] ?? [0.5, 0.5];
    out.push(clamp01(b.x + lx * b.w), clamp01(b.y + ly * b.h));
  }
  return out;
}

function boxOf(s: Extract<KeypointsState, { phase: "placing" }>, ctx: ToolContext): { box: NBox; clicked: boolean } {
  const [x, y] = pointIn(s.last, s.viewId, ctx);
  const b = boxFromCorners(s.ax, s.ay, x, y, false, ctx.viewSize(s.viewId));
  const px = ctx.pixel(s.viewId);
  if (b.w / px.x >= MIN_BOX_PX && b.h / px.y >= MIN_BOX_PX) return { box: b, clicked: false };
  const w = Math.min(1, CLICK_PLACE_PX * px.x);
  const h = Math.min(1, CLICK_PLACE_PX * px.y);
  const bx = Math.min(Math.max(s.ax - w / 2, 0), 1 - w);
  const by = Math.min(Math.max(s.ay - h / 2, 0), 1 - h);
  return { box: { x: bx, y: by, w, h }, clicked: true };
}

function shapeOf(t: KeypointTemplate, viewId: string, b: NBox): Shape {
  return {
    kind: "keypoints",
    viewId,
    coords: layoutInBox(t, b),
    states: t.labels.map(() => "visible"),
    templateId: t.id,
  };
}

export const keypointsTool: Tool<KeypointsState> = {
  name: "keypoints",
  initial: () => IDLE,
  transition(state, event, ctx): Transition<KeypointsState> {
    switch (event.type) {
      case "down": {
        if (event.button !== 0) return step(state);
        if (!ctx.editable) return step(state, [{ type: "refuse", reason: "read-only" }]);
        const t = ctx.template;
        if (!t || t.labels.length === 0) return step(state, [{ type: "refuse", reason: "no keypoint template" }]);
        const s = {
          phase: "placing",
          viewId: event.p.viewId,
          ax: clamp01(event.p.x),
          ay: clamp01(event.p.y),
          last: event.p,
        } as const;
        return step(s, [{ type: "preview", shape: shapeOf(t, s.viewId, boxOf(s, ctx).box) }]);
      }
      case "move": {
        if (state.phase !== "placing" || !ctx.template) return step(state);
        const s = { ...state, last: event.p };
        return step(s, [{ type: "preview", shape: shapeOf(ctx.template, s.viewId, boxOf(s, ctx).box) }]);
      }
      case "up": {
        if (state.phase !== "placing") return step(state);
        const t = ctx.template;
        if (!t)
          return step(IDLE, [
            { type: "preview", shape: null },
            { type: "refuse", reason: "no keypoint template" },
          ]);
        const s = { ...state, last: event.p };
        const shape = shapeOf(t, s.viewId, boxOf(s, ctx).box);
        if (shape.kind !== "keypoints") return step(IDLE);
        const effects: Effect[] = [
          { type: "preview", shape: null },
          {
            type: "create",
            table: "keypoints",
            row: {
              view_id: s.viewId,
              template_id: t.id,
              coords: [...shape.coords],
              states: [...shape.states],
              source_type: "human",
            },
          },
          { type: "switchTool", tool: "select" },
        ];
        return step(IDLE, effects);
      }
      case "key":
        if (state.phase === "placing" && event.key === "Escape" && event.phase === "down")
          return step(IDLE, [{ type: "preview", shape: null }], true);
        return step(state, [], false);
      case "cancel":
        return state.phase === "idle" ? step(state) : step(IDLE, [{ type: "preview", shape: null }]);
      case "leave":
        return step(state);
    }
  },
};

import { clamp01, MIN_BOX_PX, pointIn } from "./geometry.js";
import { step, type Effect, type Tool, type ToolContext, type ToolPoint, type Transition } from "./types.js";

declare module "../canvas/types.js" {
  interface ToolNames {
    segment: true;
  }
}

/**
 * Click-to-segment with the server's SAM-style model (README "AI assist"): a click adds a positive
 * point, Alt+click a negative one, a drag sets the box; each prompt change asks the server for the
 * mask, which lands in the record document as a draft (a model proposal everyone sees). Enter
 * accepts the draft, Esc discards it; either ends the prompt, and the next click starts a new
 * draft. The tool only describes the prompt (view pixels); the canvas's segmentation session
 * talks to the server and keeps the draft's id.
 */
export type SegmentState =
  | { readonly phase: "idle" }
  | {
      readonly phase: "prompting";
      readonly viewId: string;
      readonly points: ReadonlyArray<readonly [number, number]>;
      readonly labels: readonly number[];
      readonly box: readonly [number, number, number, number] | null;
      /** A press not released yet: its anchor (normalised) and whether Alt was held. */
      readonly press: {
        readonly ax: number;
        readonly ay: number;
        readonly last: ToolPoint;
        readonly negative: boolean;
      } | null;
    };

const IDLE: SegmentState = { phase: "idle" };

type Prompting = Extract<SegmentState, { phase: "prompting" }>;

function pixels(ctx: ToolContext, viewId: string, x: number, y: number): [number, number] {
  const size = ctx.viewSize(viewId);
  return size ? [Math.round(clamp01(x) * size.width), Math.round(clamp01(y) * size.height)] : [0, 0];
}

/** The dragged box (normalised corners), or null while the press is still a click. */
function dragBox(s: Prompting, ctx: ToolContext): [number, number, number, number] | null {
  if (!s.press) return null;
  const [x, y] = pointIn(s.press.last, s.viewId, ctx);
  const px = ctx.pixel(s.viewId);
  const w = Math.abs(x - s.press.ax);
  const h = Math.abs(y - s.press.ay);
  if (w / px.x < MIN_BOX_PX || h / px.y < MIN_BOX_PX) return null;
  return [Math.min(x, s.press.ax), Math.min(y, s.press.ay), Math.max(x, s.press.ax), Math.max(y, s.press.ay)];
}

function boxPreview(s: Prompting, ctx: ToolContext): Effect {
  const b = dragBox(s, ctx);
  return {
    type: "preview",
    shape: b ? { kind: "box", viewId: s.viewId, x: b[0], y: b[1], w: b[2] - b[0], h: b[3] - b[1] } : null,
  };
}

function ask(s: Prompting): Effect {
  return { type: "segment", viewId: s.viewId, points: s.points, labels: s.labels, box: s.box };
}

export const segmentTool: Tool<SegmentState> = {
  name: "segment",
  initial: () => IDLE,
  transition(state, event, ctx): Transition<SegmentState> {
    switch (event.type) {
      case "down": {
        if (event.button !== 0) return step(state);
        if (!ctx.editable) return step(state, [{ type: "refuse", reason: "read-only" }]);
        // A press on another view starts a new prompt there.
        const base: Prompting =
          state.phase === "prompting" && state.viewId === event.p.viewId
            ? state
            : { phase: "prompting", viewId: event.p.viewId, points: [], labels: [], box: null, press: null };
        const press = { ax: clamp01(event.p.x), ay: clamp01(event.p.y), last: event.p, negative: event.alt };
        return step({ ...base, press });
      }
      case "move": {
        if (state.phase !== "prompting" || !state.press) return step(state);
        const s = { ...state, press: { ...state.press, last: event.p } };
        return step(s, [boxPreview(s, ctx)]);
      }
      case "up": {
        if (state.phase !== "prompting" || !state.press) return step(state);
        const pressed = { ...state, press: { ...state.press, last: event.p } };
        const b = dragBox(pressed, ctx);
        let next: Prompting;
        if (b) {
          const [x0, y0] = pixels(ctx, state.viewId, b[0], b[1]);
          const [x1, y1] = pixels(ctx, state.viewId, b[2], b[3]);
          next = { ...state, box: [x0, y0, x1, y1], press: null };
        } else {
          const point = pixels(ctx, state.viewId, state.press.ax, state.press.ay);
          next = {
            ...state,
            points: [...state.points, point],
            labels: [...state.labels, state.press.negative ? 0 : 1],
            press: null,
          };
        }
        // Negative points alone say nothing about where the object is: wait for a positive point or a box.
        if (!next.labels.includes(1) && next.box === null)
          return step(next, [
            { type: "preview", shape: null },
            { type: "refuse", reason: "click the object first (Alt+click marks what is not part of it)" },
          ]);
        return step(next, [{ type: "preview", shape: null }, ask(next)]);
      }
      case "key": {
        if (event.phase !== "down") return step(state, [], false);
        if (state.phase !== "prompting") return step(state, [], false);
        if (event.key === "Enter") return step(IDLE, [{ type: "segmentDone", decision: "accept" }], true);
        if (event.key === "Escape")
          return step(
            IDLE,
            [
              { type: "preview", shape: null },
              { type: "segmentDone", decision: "discard" },
            ],
            true,
          );
        return step(state, [], false);
      }
      case "cancel":
        // Switching away keeps the draft as a proposal (accepted or rejected later like any other).
        return state.phase === "idle" ? step(state) : step(IDLE, [{ type: "preview", shape: null }]);
      case "leave":
        return step(state);
    }
  },
};

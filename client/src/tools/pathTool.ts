import { polygonArea } from "@tessera/shared-crdt";
import { clamp01, PICK_PX, pointIn } from "./geometry.js";
import { step, type Effect, type Tool, type ToolContext, type ToolEvent, type Transition } from "./types.js";

/**
 * Polygon and polyline drawing, one click per vertex. Polygon: Enter or a click on the first point
 * closes the ring; polyline: Enter or a second click on the last point ends it. Backspace removes
 * the last point (reopening the previous ring when the current one is empty); N finishes the ring
 * and starts another ring of the same `multi_paths` row (`num_points` per ring); Esc cancels.
 * Rings too short (polygon < 3 points, polyline < 2) or of no area are refused.
 */
export type PathState =
  | { readonly phase: "idle" }
  | {
      readonly phase: "drawing";
      readonly viewId: string;
      readonly rings: ReadonlyArray<readonly number[]>;
      readonly current: readonly number[];
      readonly pointer: readonly [number, number] | null;
    };

const IDLE: PathState = { phase: "idle" };
type Drawing = Extract<PathState, { phase: "drawing" }>;

function preview(s: Drawing, closed: boolean): Effect {
  return {
    type: "preview",
    shape: { kind: "draft", viewId: s.viewId, rings: s.rings, current: s.current, pointer: s.pointer, closed },
  };
}

function nearPoint(
  coords: readonly number[],
  index: number,
  x: number,
  y: number,
  px: { x: number; y: number },
): boolean {
  const vx = coords[index * 2];
  const vy = coords[index * 2 + 1];
  return vx !== undefined && vy !== undefined && Math.hypot((x - vx) / px.x, (y - vy) / px.y) <= PICK_PX;
}

/** Why a ring cannot be finished, or null when it can. */
function ringProblem(ring: readonly number[], closed: boolean, ctx: ToolContext, viewId: string): string | null {
  const n = ring.length / 2;
  if (closed && n < 3) return "a polygon needs at least 3 points";
  if (!closed && n < 2) return "a polyline needs at least 2 points";
  if (closed) {
    const px = ctx.pixel(viewId);
    if (polygonArea(ring) < px.x * px.y) return "polygon has no area";
  }
  return null;
}

function commit(rings: ReadonlyArray<readonly number[]>, viewId: string, closed: boolean): Transition<PathState> {
  return step(IDLE, [
    { type: "preview", shape: null },
    {
      type: "create",
      table: "multi_paths",
      row: {
        view_id: viewId,
        coords: rings.flat(),
        num_points: rings.map((r) => r.length / 2),
        is_closed: closed,
        source_type: "human",
      },
    },
    { type: "switchTool", tool: "select" },
  ]);
}

/** Ends the current ring (if any) and commits all rings; refuses when the current ring is too short. */
function finish(s: Drawing, closed: boolean, ctx: ToolContext): Transition<PathState> {
  if (s.current.length === 0) {
    return s.rings.length > 0 ? commit(s.rings, s.viewId, closed) : step(IDLE, [{ type: "preview", shape: null }]);
  }
  const problem = ringProblem(s.current, closed, ctx, s.viewId);
  if (problem) return step(s, [{ type: "refuse", reason: problem }], true);
  return commit([...s.rings, s.current], s.viewId, closed);
}

function onKey(
  state: PathState,
  event: Extract<ToolEvent, { type: "key" }>,
  closed: boolean,
  ctx: ToolContext,
): Transition<PathState> {
  if (state.phase !== "drawing" || event.phase !== "down" || event.ctrl) return step(state, [], false);
  switch (event.key) {
    case "Escape":
      return step(IDLE, [{ type: "preview", shape: null }], true);
    case "Enter":
      return { ...finish(state, closed, ctx), handled: true };
    case "Backspace": {
      let { rings, current } = state;
      if (current.length > 0) current = current.slice(0, -2);
      else if (rings.length > 0) {
        current = rings[rings.length - 1] ?? [];
        rings = rings.slice(0, -1);
      }
      if (current.length === 0 && rings.length === 0) return step(IDLE, [{ type: "preview", shape: null }], true);
      const s = { ...state, rings, current };
      return step(s, [preview(s, closed)], true);
    }
    case "n":
    case "N": {
      const problem =
        state.current.length === 0 ? "nothing to finish" : ringProblem(state.current, closed, ctx, state.viewId);
      if (problem) return step(state, [{ type: "refuse", reason: problem }], true);
      const s = { ...state, rings: [...state.rings, state.current], current: [] };
      return step(s, [preview(s, closed)], true);
    }
    default:
      return step(state, [], false);
  }
}

function pathTool(name: "polygon" | "polyline"): Tool<PathState> {
  const closed = name === "polygon";
  return {
    name,
    initial: () => IDLE,
    transition(state, event, ctx): Transition<PathState> {
      switch (event.type) {
        case "down": {
          if (event.button !== 0) return step(state);
          if (!ctx.editable) return step(state, [{ type: "refuse", reason: "read-only" }]);
          if (state.phase === "idle") {
            const s: Drawing = {
              phase: "drawing",
              viewId: event.p.viewId,
              rings: [],
              current: [clamp01(event.p.x), clamp01(event.p.y)],
              pointer: null,
            };
            return step(s, [preview(s, closed)]);
          }
          const [rx, ry] = pointIn(event.p, state.viewId, ctx);
          const x = clamp01(rx);
          const y = clamp01(ry);
          const px = ctx.pixel(state.viewId);
          const n = state.current.length / 2;
          if (closed && n >= 3 && nearPoint(state.current, 0, x, y, px)) return finish(state, closed, ctx);
          if (n >= 1 && nearPoint(state.current, n - 1, x, y, px)) {
            // A second click on the last point: ends a polyline, is ignored for a polygon.
            return closed ? step(state) : finish(state, closed, ctx);
          }
          const s = { ...state, current: [...state.current, x, y] };
          return step(s, [preview(s, closed)]);
        }
        case "move": {
          if (state.phase !== "drawing") return step(state);
          const [x, y] = pointIn(event.p, state.viewId, ctx);
          const s = { ...state, pointer: [clamp01(x), clamp01(y)] as const };
          return step(s, [preview(s, closed)]);
        }
        case "up":
        case "leave":
          return step(state);
        case "key":
          return onKey(state, event, closed, ctx);
        case "cancel":
          return state.phase === "idle" ? step(state) : step(IDLE, [{ type: "preview", shape: null }]);
      }
    },
  };
}

export const polygonTool = pathTool("polygon");
export const polylineTool = pathTool("polyline");

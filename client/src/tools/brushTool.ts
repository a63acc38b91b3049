import { encodeMask, mergeRle } from "@tessera/shared-crdt";
import { strokeMask } from "./maskRaster.js";
import { step, type Effect, type ShapeRef, type Tool, type ToolContext, type Transition } from "./types.js";

/**
 * Brush and eraser masks. A stroke is recorded as pointer positions and previewed as it goes; on
 * release it is painted into a bitmask at image resolution (round stamps along the path) and
 * encoded as COCO RLE. The brush adds to the selected mask of that view (union) or creates a new
 * mask entity; the eraser subtracts from the selected mask and is refused without one. `[` / `]`
 * shrink/grow the radius (image pixels). Both tools stay active after a stroke.
 */
export type BrushState =
  | { readonly phase: "idle" }
  | {
      readonly phase: "painting";
      readonly viewId: string;
      readonly points: readonly number[];
      readonly target: ShapeRef | null;
    };

const IDLE: BrushState = { phase: "idle" };
export const MIN_BRUSH_RADIUS = 1;
const MAX_BRUSH_RADIUS = 500;
/** Each `[`/`]` press scales the radius by this factor. */
const BRUSH_STEP = 1.25;

function targetMask(ctx: ToolContext, viewId: string): ShapeRef | null {
  for (const ref of ctx.selection) {
    if (ref.table !== "masks" || ctx.locked(ref)) continue;
    const s = ctx.shape(ref);
    if (s && s.kind === "mask" && s.viewId === viewId) return ref;
  }
  return null;
}

function resized(radius: number, key: string): number {
  const r = key === "]" ? Math.ceil(radius * BRUSH_STEP) : Math.floor(radius / BRUSH_STEP);
  return Math.min(MAX_BRUSH_RADIUS, Math.max(MIN_BRUSH_RADIUS, r));
}

function commit(s: Extract<BrushState, { phase: "painting" }>, erase: boolean, ctx: ToolContext): Effect[] {
  const size = ctx.viewSize(s.viewId);
  if (!size)
    return [
      { type: "preview", shape: null },
      { type: "refuse", reason: "unknown view" },
    ];
  const width = Math.round(size.width);
  const height = Math.round(size.height);
  const { mask, painted } = strokeMask(width, height, s.points, ctx.brushRadius);
  if (painted === 0)
    return [
      { type: "preview", shape: null },
      { type: "refuse", reason: "stroke outside the image" },
    ];
  const stroke = encodeMask(mask, height, width);
  const target = s.target ? ctx.shape(s.target) : undefined;
  const current = target?.kind === "mask" ? target.rle : null;
  const sameSize = current !== null && current.size[0] === height && current.size[1] === width;
  if (erase) {
    if (!s.target || !current)
      return [
        { type: "preview", shape: null },
        { type: "refuse", reason: "select a mask to erase from" },
      ];
    if (!sameSize)
      return [
        { type: "preview", shape: null },
        { type: "refuse", reason: "mask size differs from the image" },
      ];
    const out = mergeRle(current, stroke, "difference");
    return [
      { type: "preview", shape: null },
      { type: "update", table: "masks", id: s.target.id, patch: { size: out.size, counts: out.counts } },
    ];
  }
  if (s.target && current) {
    // An empty stored mask (size [0, 0]) is replaced by the stroke; otherwise the stroke is added.
    const out = sameSize ? mergeRle(current, stroke, "union") : stroke;
    return [
      { type: "preview", shape: null },
      { type: "update", table: "masks", id: s.target.id, patch: { size: out.size, counts: out.counts } },
    ];
  }
  return [
    { type: "preview", shape: null },
    {
      type: "create",
      table: "masks",
      row: { view_id: s.viewId, size: stroke.size, counts: stroke.counts, source_type: "human" },
    },
  ];
}

export function brushTool(name: "brush" | "eraser"): Tool<BrushState> {
  const erase = name === "eraser";
  const stroke = (viewId: string, points: readonly number[], radius: number): Effect => ({
    type: "preview",
    shape: { kind: "stroke", viewId, points, radius, erase },
  });
  return {
    name,
    initial: () => IDLE,
    transition(state, event, ctx): Transition<BrushState> {
      switch (event.type) {
        case "down": {
          if (event.button !== 0) return step(state);
          if (!ctx.editable) return step(state, [{ type: "refuse", reason: "read-only" }]);
          const target = targetMask(ctx, event.p.viewId);
          if (erase && !target) return step(state, [{ type: "refuse", reason: "select a mask to erase from" }]);
          const s = { phase: "painting", viewId: event.p.viewId, points: [event.p.x, event.p.y], target } as const;
          return step(s, [stroke(s.viewId, s.points, ctx.brushRadius)]);
        }
        case "move": {
          if (state.phase !== "painting")
            return step(state, [stroke(event.p.viewId, [event.p.x, event.p.y], ctx.brushRadius)]);
          const size = ctx.viewSize(state.viewId);
          const q = event.p.viewId === state.viewId ? event.p : { ...ctx.project(event.p, state.viewId) };
          const n = state.points.length;
          const lx = state.points[n - 2] ?? q.x;
          const ly = state.points[n - 1] ?? q.y;
          // Skip points closer than a quarter radius to the last one: the capsules overlap anyway.
          const d = size ? Math.hypot((q.x - lx) * size.width, (q.y - ly) * size.height) : Infinity;
          if (d < ctx.brushRadius / 4) return step(state);
          const s = { ...state, points: [...state.points, q.x, q.y] };
          return step(s, [stroke(s.viewId, s.points, ctx.brushRadius)]);
        }
        case "up":
          if (state.phase !== "painting") return step(state);
          return step(IDLE, commit(state, erase, ctx));
        case "key": {
          if (event.phase !== "down" || event.ctrl) return step(state, [], false);
          if (event.key === "[" || event.key === "]")
            return step(state, [{ type: "brushRadius", radius: resized(ctx.brushRadius, event.key) }], true);
          if (event.key === "Escape" && state.phase === "painting")
            return step(IDLE, [{ type: "preview", shape: null }], true);
          return step(state, [], false);
        }
        case "leave":
          return state.phase === "idle" ? step(state, [{ type: "preview", shape: null }]) : step(state);
        case "cancel":
          return step(IDLE, [{ type: "preview", shape: null }]);
      }
    },
  };
}

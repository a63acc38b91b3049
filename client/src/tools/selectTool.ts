import { hasVertices } from "../kinds/KindView.js";
import { kindOfShape } from "../kinds/registry.js";
import { DRAG_THRESHOLD_PX, handleAt, screenDistance, vertexAt } from "./geometry.js";
import { dragEffects, dragStart, revertEffects, type Drag } from "./selectDrag.js";
import {
  step,
  type CursorStyle,
  type Effect,
  type Hit,
  type ShapeRef,
  type Tool,
  type ToolContext,
  type ToolPoint,
  type Transition,
} from "./types.js";

/**
 * Select / move / resize. Hover highlights; a click selects (Shift toggles the shape in the
 * selection, a click on empty space clears it); dragging a shape moves the selection, dragging one
 * of the 8 handles of a selected box resizes it (Shift keeps corners square), dragging a vertex of
 * a selected polygon/polyline/keypoints moves that vertex, and a click on a point of selected
 * keypoints cycles its state. Dragging empty space pans. Delete/Backspace deletes the selection,
 * Esc aborts a drag (restoring the shape). Locked shapes are selectable
 * but never edited.
 */
export type SelectState =
  | { readonly phase: "idle"; readonly hover: Hit | null }
  | { readonly phase: "pressed"; readonly start: ToolPoint; readonly hit: Hit | null; readonly shift: boolean }
  | { readonly phase: "panning"; readonly last: ToolPoint }
  | { readonly phase: "dragging"; readonly drag: Drag; readonly last: ToolPoint }
  /** A drag that was refused (locked, read-only): swallow the gesture until release. */
  | { readonly phase: "blocked" };

const IDLE: SelectState = { phase: "idle", hover: null };

function sameRef(a: ShapeRef | null | undefined, b: ShapeRef | null | undefined): boolean {
  return !!a && !!b && a.table === b.table && a.id === b.id;
}

function sameHit(a: Hit | null, b: Hit | null): boolean {
  if (a === null || b === null) return a === b;
  if (!sameRef(a.ref, b.ref) || a.part.type !== b.part.type) return false;
  if (a.part.type === "vertex" && b.part.type === "vertex") return a.part.index === b.part.index;
  if (a.part.type === "handle" && b.part.type === "handle") return a.part.handle === b.part.handle;
  return true;
}

/** Handles and vertices of selected, editable shapes win over whatever lies under them. */
function pick(p: ToolPoint, ctx: ToolContext): Hit | null {
  for (const ref of ctx.selection) {
    const shape = ctx.shape(ref);
    if (!shape || shape.viewId !== p.viewId) continue;
    const kind = kindOfShape(shape);
    if (!kind) continue;
    const box = kind.handleBox?.(shape);
    if (box) {
      const handle = handleAt(box, p, ctx);
      if (handle) return { ref, part: { type: "handle", handle } };
    }
    if (hasVertices(kind)) {
      const index = vertexAt(kind.vertices(shape), p, ctx);
      if (index >= 0) return { ref, part: { type: "vertex", index } };
    }
  }
  return ctx.hit(p);
}

function cursorFor(hit: Hit | null, ctx: ToolContext): CursorStyle {
  if (!hit) return "default";
  if (!ctx.editable || ctx.locked(hit.ref)) return "pointer";
  if (hit.part.type === "handle") return `${hit.part.handle}-resize`;
  if (hit.part.type === "vertex") return "pointer";
  return "move";
}

function isSelected(ctx: ToolContext, ref: ShapeRef): boolean {
  return ctx.selection.some((r) => sameRef(r, ref));
}

/** Selection after a click on `hit` (null = empty space). */
function clickSelection(ctx: ToolContext, hit: Hit | null, shift: boolean): ShapeRef[] {
  if (!hit) return shift ? [...ctx.selection] : [];
  if (!shift) return [hit.ref];
  return isSelected(ctx, hit.ref) ? ctx.selection.filter((r) => !sameRef(r, hit.ref)) : [...ctx.selection, hit.ref];
}

function onClick(state: Extract<SelectState, { phase: "pressed" }>, ctx: ToolContext): Effect[] {
  const hit = state.hit;
  const shape = hit && hit.part.type === "vertex" && !state.shift ? ctx.shape(hit.ref) : undefined;
  const kind = shape ? kindOfShape(shape) : undefined;
  if (hit && hit.part.type === "vertex" && shape && kind?.vertexClick) {
    if (!ctx.editable || ctx.locked(hit.ref))
      return [{ type: "refuse", reason: ctx.editable ? "locked" : "read-only" }];
    return [{ type: "update", table: hit.ref.table, id: hit.ref.id, patch: kind.vertexClick(shape, hit.part.index) }];
  }
  return [{ type: "select", refs: clickSelection(ctx, hit, state.shift) }];
}

function beginDrag(
  state: Extract<SelectState, { phase: "pressed" }>,
  p: ToolPoint,
  shift: boolean,
  ctx: ToolContext,
): Transition<SelectState> {
  const hit = state.hit;
  if (!hit)
    return step({ phase: "panning", last: p }, [
      { type: "setCursor", cursor: "grabbing" },
      { type: "pan", dx: p.sx - state.start.sx, dy: p.sy - state.start.sy },
    ]);
  const effects: Effect[] = [];
  let selection = ctx.selection;
  if (!isSelected(ctx, hit.ref)) {
    selection = clickSelection(ctx, hit, state.shift);
    effects.push({ type: "select", refs: selection });
  }
  if (!ctx.editable || ctx.locked(hit.ref))
    return step({ phase: "blocked" }, [...effects, { type: "refuse", reason: ctx.editable ? "locked" : "read-only" }]);
  const drag = dragStart(hit, selection, state.start, ctx);
  if (!drag) return step({ phase: "blocked" }, effects);
  return step({ phase: "dragging", drag, last: p }, [
    ...effects,
    { type: "awareness", dragging: hit.ref },
    ...dragEffects(drag, p, shift, ctx),
  ]);
}

function onKey(state: SelectState, key: string, ctx: ToolContext): Transition<SelectState> {
  if (key === "Escape") {
    // Only an aborted drag is the tool's business; clearing the selection or stopping follow mode
    // is left to the workspace (it decides which comes first).
    if (state.phase === "dragging")
      return step(IDLE, [...revertEffects(state.drag), { type: "awareness", dragging: null }], true);
    return step(state, [], false);
  }
  if ((key === "Delete" || key === "Backspace") && state.phase !== "dragging") {
    if (ctx.selection.length === 0) return step(state, [], false);
    if (!ctx.editable) return step(state, [{ type: "refuse", reason: "read-only" }], true);
    const deletable = ctx.selection.filter((r) => !ctx.locked(r));
    if (deletable.length === 0) return step(state, [{ type: "refuse", reason: "locked" }], true);
    const kept = ctx.selection.filter((r) => ctx.locked(r));
    return step(
      IDLE,
      [
        { type: "delete", refs: deletable },
        { type: "select", refs: kept },
      ],
      true,
    );
  }
  return step(state, [], false);
}

export const selectTool: Tool<SelectState> = {
  name: "select",
  initial: () => IDLE,
  transition(state, event, ctx): Transition<SelectState> {
    switch (event.type) {
      case "down":
        if (event.button !== 0) return step(state);
        return step({ phase: "pressed", start: event.p, hit: pick(event.p, ctx), shift: event.shift });
      case "move":
        switch (state.phase) {
          case "idle": {
            const hover = pick(event.p, ctx);
            if (sameHit(hover, state.hover)) return step(state);
            return step({ phase: "idle", hover }, [
              { type: "hover", hit: hover },
              { type: "setCursor", cursor: cursorFor(hover, ctx) },
            ]);
          }
          case "pressed":
            return screenDistance(state.start, event.p) < DRAG_THRESHOLD_PX
              ? step(state)
              : beginDrag(state, event.p, event.shift, ctx);
          case "panning":
            return step({ phase: "panning", last: event.p }, [
              { type: "pan", dx: event.p.sx - state.last.sx, dy: event.p.sy - state.last.sy },
            ]);
          case "dragging":
            return step({ ...state, last: event.p }, dragEffects(state.drag, event.p, event.shift, ctx));
          case "blocked":
            return step(state);
        }
        break;
      case "up":
        switch (state.phase) {
          case "pressed":
            return step(IDLE, onClick(state, ctx));
          case "dragging": {
            const last =
              state.last.sx === event.p.sx && state.last.sy === event.p.sy
                ? []
                : dragEffects(state.drag, event.p, event.shift, ctx);
            return step(IDLE, [
              ...last,
              { type: "awareness", dragging: null },
              { type: "setCursor", cursor: "default" },
            ]);
          }
          case "panning":
          case "blocked":
            return step(IDLE, [{ type: "setCursor", cursor: "default" }]);
          case "idle":
            return step(state);
        }
        break;
      case "key":
        if (event.phase !== "down" || event.ctrl) return step(state, [], false);
        return onKey(state, event.key, ctx);
      case "leave":
        return state.phase === "idle" && state.hover ? step(IDLE, [{ type: "hover", hit: null }]) : step(state);
      case "cancel":
        if (state.phase === "dragging") return step(IDLE, [{ type: "awareness", dragging: null }]);
        return step(IDLE, state.phase === "idle" && state.hover ? [{ type: "hover", hit: null }] : []);
    }
    return step(state);
  },
};

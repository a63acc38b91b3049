import { hasVertices } from "../kinds/KindView.js";
import { kindOfShape, kindOfTable, shapeBounds } from "../kinds/registry.js";
import { clamp01, clampTranslation, pointIn, resizeBox, type NBox } from "./geometry.js";
import type { BoxHandle, Effect, Hit, Shape, ShapeRef, ToolContext, ToolPoint, VertexTable } from "./types.js";

/**
 * The three drags of the select tool — move the selection, resize a box by a handle, move one
 * vertex — as data captured at drag start (the original geometry) plus pure functions from the
 * current pointer to document effects. Keeping the original makes Esc a simple revert.
 */
export type Drag =
  | {
      readonly kind: "move";
      readonly viewId: string;
      readonly start: readonly [number, number];
      readonly items: ReadonlyArray<{ readonly ref: ShapeRef; readonly shape: Shape }>;
      readonly bounds: readonly [number, number, number, number];
    }
  | {
      readonly kind: "resize";
      readonly ref: ShapeRef;
      readonly viewId: string;
      readonly handle: BoxHandle;
      readonly origin: NBox;
    }
  | {
      readonly kind: "vertex";
      readonly ref: ShapeRef & { readonly table: VertexTable };
      readonly viewId: string;
      readonly index: number;
      readonly origin: readonly [number, number];
    };

/** Starts a drag from what the pointer grabbed; null when nothing there can be dragged (masks). */
export function dragStart(hit: Hit, selection: readonly ShapeRef[], start: ToolPoint, ctx: ToolContext): Drag | null {
  const shape = ctx.shape(hit.ref);
  if (!shape) return null;
  const kind = kindOfShape(shape);
  if (!kind) return null;
  const box = hit.part.type === "handle" ? kind.handleBox?.(shape) : undefined;
  if (hit.part.type === "handle" && box) {
    return { kind: "resize", ref: hit.ref, viewId: shape.viewId, handle: hit.part.handle, origin: box };
  }
  if (hit.part.type === "vertex" && hasVertices(kind)) {
    const i = hit.part.index;
    const coords = kind.vertices(shape);
    const x = coords[i * 2];
    const y = coords[i * 2 + 1];
    if (x === undefined || y === undefined) return null;
    return {
      kind: "vertex",
      ref: { table: kind.table, id: hit.ref.id },
      viewId: shape.viewId,
      index: i,
      origin: [x, y],
    };
  }
  const refs = selection.some((r) => r.table === hit.ref.table && r.id === hit.ref.id) ? selection : [hit.ref];
  const items: Array<{ ref: ShapeRef; shape: Shape }> = [];
  for (const ref of refs) {
    const s = ctx.shape(ref);
    // Kinds without `translate` (masks: their RLE would need re-encoding) and locked shapes stay put.
    if (!s || !kindOfShape(s)?.translate || s.viewId !== shape.viewId || ctx.locked(ref)) continue;
    items.push({ ref, shape: s });
  }
  if (items.length === 0) return null;
  let bounds: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const it of items) {
    const b = shapeBounds(it.shape);
    bounds = [
      Math.min(bounds[0], b[0]),
      Math.min(bounds[1], b[1]),
      Math.max(bounds[2], b[2]),
      Math.max(bounds[3], b[3]),
    ];
  }
  const [sx, sy] = pointIn(start, shape.viewId, ctx);
  return { kind: "move", viewId: shape.viewId, start: [sx, sy], items, bounds };
}

function translated(ref: ShapeRef, shape: Shape, dx: number, dy: number): Effect | null {
  const patch = kindOfShape(shape)?.translate?.(shape, dx, dy);
  return patch ? { type: "update", table: ref.table, id: ref.id, patch } : null;
}

/** The patch writing a resized box back to the dragged row, by its kind. */
function resized(ref: ShapeRef, b: NBox): Effect[] {
  const patch = kindOfTable(ref.table)?.resizePatch?.(b);
  return patch ? [{ type: "update", table: ref.table, id: ref.id, patch }] : [];
}

/** Document effects that put the dragged geometry under the pointer. */
export function dragEffects(drag: Drag, p: ToolPoint, shift: boolean, ctx: ToolContext): Effect[] {
  const [x, y] = pointIn(p, drag.viewId, ctx);
  switch (drag.kind) {
    case "move": {
      const [dx, dy] = clampTranslation(drag.bounds, x - drag.start[0], y - drag.start[1]);
      const out: Effect[] = [];
      for (const it of drag.items) {
        const e = translated(it.ref, it.shape, dx, dy);
        if (e) out.push(e);
      }
      return out;
    }
    case "resize": {
      return resized(drag.ref, resizeBox(drag.origin, drag.handle, x, y, shift, ctx.viewSize(drag.viewId)));
    }
    case "vertex":
      return [
        { type: "moveVertex", table: drag.ref.table, id: drag.ref.id, index: drag.index, x: clamp01(x), y: clamp01(y) },
      ];
  }
}

/** Effects restoring the geometry captured when the drag started (Esc). */
export function revertEffects(drag: Drag): Effect[] {
  switch (drag.kind) {
    case "move":
      return drag.items.map((it) => translated(it.ref, it.shape, 0, 0)).filter((e): e is Effect => e !== null);
    case "resize":
      return resized(drag.ref, drag.origin);
    case "vertex":
      return [
        {
          type: "moveVertex",
          table: drag.ref.table,
          id: drag.ref.id,
          index: drag.index,
          x: drag.origin[0],
          y: drag.origin[1],
        },
      ];
  }
}

import * as Y from "yjs";
import type { ComponentTable } from "../schema/tables.js";
import { removeRow } from "./access.js";
import { tableMap } from "./layout.js";
import { REFERENCES } from "./references.js";

export type Removed = Partial<Record<ComponentTable, string[]>>;
type IdSets = Map<ComponentTable, Set<string>>;

function add(sets: IdSets, table: ComponentTable, id: string): void {
  let s = sets.get(table);
  if (!s) sets.set(table, (s = new Set()));
  s.add(id);
}

/**
 * Follows references from rows that are gone (SPEC D-CASCADE): rows that depend on them are
 * removed in turn (`cascade`), list and optional references are cleared (`clear`). Each wave
 * scans a referencing table once, reading only the referencing field.
 */
export function removeDependents(doc: Y.Doc, gone: IdSets, removed: Removed = {}): Removed {
  let frontier = gone;
  while (frontier.size > 0) {
    const next: IdSets = new Map();
    for (const ref of REFERENCES) {
      const targets = ref.target.map((t) => frontier.get(t)).filter((s): s is Set<string> => s !== undefined);
      if (targets.length === 0) continue;
      const hit = (id: unknown) => typeof id === "string" && targets.some((s) => s.has(id));
      const table = tableMap(doc, ref.table);
      for (const [rowId, m] of [...table.entries()]) {
        if (!(m instanceof Y.Map)) continue;
        const value = m.get(ref.field);
        if (ref.many) {
          if (Array.isArray(value) && value.some(hit)) m.set(ref.field, value.filter((x) => !hit(x)));
        } else if (hit(value)) {
          if (ref.onDelete === "clear") m.set(ref.field, "");
          else if (removeRow(doc, ref.table, rowId)) {
            add(next, ref.table, rowId);
            (removed[ref.table] ??= []).push(rowId);
          }
        }
      }
    }
    frontier = next;
  }
  return removed;
}

/**
 * Deletes rows and everything that hangs on them inside one document: an entity takes its child
 * entities, annotations, dynamic states and tracklets; a tracklet takes its per-frame annotations
 * and states; relations to a deleted annotation go; `messages.entity_ids` and
 * `entity_dynamic_state_id` are cleared. Call inside a transaction. Returns the ids removed per table.
 */
export function deleteWithDependents(doc: Y.Doc, table: ComponentTable, ids: readonly string[]): Removed {
  const removed: Removed = {};
  const gone: IdSets = new Map();
  for (const id of ids) {
    if (removeRow(doc, table, id)) {
      add(gone, table, id);
      (removed[table] ??= []).push(id);
    }
  }
  return removeDependents(doc, gone, removed);
}

import type * as Y from "yjs";
import { COMPONENT_TABLES, type ComponentTable } from "../schema/tables.js";
import { patchRow, readRows, removeRow } from "./access.js";
import { REFERENCES } from "./references.js";

export type Removed = Partial<Record<ComponentTable, string[]>>;

/**
 * Deletes rows and everything that hangs on them inside one document (SPEC D-CASCADE): an entity
 * takes its child entities, annotations, dynamic states and tracklets; a tracklet takes its
 * per-frame annotations and states; relations to a deleted annotation go; list and optional
 * references (`messages.entity_ids`, `entity_dynamic_state_id`) are cleared instead.
 * Call inside a transaction. Returns the ids removed per table.
 */
export function deleteWithDependents(doc: Y.Doc, table: ComponentTable, ids: readonly string[]): Removed {
  const removed: Removed = {};
  const queue: Array<[ComponentTable, string]> = ids.map((id) => [table, id]);
  const gone = new Set<string>();
  while (queue.length > 0) {
    const [t, id] = queue.shift() as [ComponentTable, string];
    const key = `${t}\u0000${id}`;
    if (gone.has(key)) continue;
    gone.add(key);
    if (!removeRow(doc, t, id)) continue;
    (removed[t] ??= []).push(id);
    for (const ref of REFERENCES) {
      if (!ref.target.includes(t)) continue;
      for (const row of readRows(doc, ref.table)) {
        const rid = row.id as string;
        if (ref.many) {
          const list = (row[ref.field] as string[] | undefined) ?? [];
          if (list.includes(id)) patchRow(doc, ref.table, rid, { [ref.field]: list.filter((x) => x !== id) });
        } else if (row[ref.field] === id) {
          if (ref.onDelete === "cascade") queue.push([ref.table, rid]);
          else patchRow(doc, ref.table, rid, { [ref.field]: "" });
        }
      }
    }
  }
  return removed;
}

/** Component tables in the order a cascade may touch them (for callers that report per table). */
export const CASCADE_TABLES: readonly ComponentTable[] = COMPONENT_TABLES;

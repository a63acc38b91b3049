import * as Y from "yjs";
import {
  planDelete,
  planDependents,
  runDeleteWalk,
  type DeletePlan,
  type DeleteWalk,
  type RowQuery,
} from "../schema/references.js";
import type { ComponentTable, TableName } from "../schema/tables.js";
import { removeRow } from "./access.js";
import { isComponentTable, tableMap } from "./layout.js";

export type Removed = Partial<Record<ComponentTable, string[]>>;

/** Answers a `planDelete` question from the document's rows (one scan of one table, one field). */
function answerFromDoc(doc: Y.Doc, q: RowQuery): string[] {
  if (!isComponentTable(q.table)) return [];
  const wanted = new Set(q.values);
  const hit = (v: unknown) => typeof v === "string" && wanted.has(v);
  const out: string[] = [];
  for (const [rowId, m] of tableMap(doc, q.table).entries()) {
    if (!(m instanceof Y.Map)) continue;
    if (q.field === "id") {
      if (wanted.has(rowId)) out.push(rowId);
      continue;
    }
    const value = m.get(q.field);
    if (q.many ? Array.isArray(value) && value.some(hit) : hit(value)) out.push(rowId);
  }
  return out;
}

/** Applies a plan to the document: rows removed, references to removed rows cleared. */
function applyPlan(doc: Y.Doc, plan: DeletePlan, removed: Removed): Removed {
  for (const [table, ids] of plan.deletes) {
    if (!isComponentTable(table)) continue;
    for (const id of ids) if (removeRow(doc, table, id)) (removed[table] ??= []).push(id);
  }
  for (const c of plan.clears) {
    if (!isComponentTable(c.table)) continue;
    const t = tableMap(doc, c.table);
    for (const id of c.ids) {
      const m = t.get(id);
      if (!(m instanceof Y.Map)) continue;
      const value: unknown = m.get(c.field);
      if (c.many) {
        if (Array.isArray(value))
          m.set(
            c.field,
            value.filter((x) => !(typeof x === "string" && c.values.has(x))),
          );
      } else if (typeof value === "string" && c.values.has(value)) {
        m.set(c.field, "");
      }
    }
  }
  return removed;
}

function run(doc: Y.Doc, walk: DeleteWalk, removed: Removed): Removed {
  return applyPlan(
    doc,
    runDeleteWalk(walk, (q) => answerFromDoc(doc, q)),
    removed,
  );
}

/**
 * Follows references from rows that are gone (SPEC D-CASCADE, the shared reference table): rows
 * that depend on them are removed in turn, optional and list references are cleared. Call inside a
 * transaction. Returns the ids removed per table (the gone rows are not in it).
 */
export function removeDependents(
  doc: Y.Doc,
  gone: ReadonlyMap<ComponentTable, ReadonlySet<string>>,
  removed: Removed = {},
): Removed {
  return run(doc, planDependents(gone as ReadonlyMap<TableName, ReadonlySet<string>>, "record"), removed);
}

/**
 * Deletes rows and everything that hangs on them inside one document, by the one cascade rule
 * (SPEC D-CASCADE): an entity takes its child entities, annotations, dynamic states and tracklets;
 * a tracklet its per-frame annotations and states; an annotation the relations on it;
 * `messages.entity_ids` and `entity_dynamic_state_id` are cleared. Call inside a transaction.
 * Returns the ids removed per table.
 */
export function deleteWithDependents(doc: Y.Doc, table: ComponentTable, ids: readonly string[]): Removed {
  return run(doc, planDelete(table, ids, "record"), {});
}

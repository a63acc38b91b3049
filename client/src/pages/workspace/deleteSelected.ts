import {
  deleteRows,
  tableMap,
  transact,
  type ComponentTable,
  type DocContext,
  type Origin,
} from "@tessera/shared-crdt";
import type { SelectionRef } from "../../canvas/types.js";
import type { EntityIndex } from "../../app/EntityIndex.js";

/**
 * Deletes the selected rows in one transaction (one undo step). The last shape of an entity takes
 * the entity with it, so the object list keeps no invisible leftovers.
 */
export function deleteSelected(
  ctx: DocContext,
  origin: Origin,
  index: EntityIndex,
  refs: readonly SelectionRef[],
): void {
  const chosen = new Set(refs.map((r) => `${r.table}/${r.id}`));
  const byTable = new Map<ComponentTable, Set<string>>();
  const add = (t: ComponentTable, id: string) => byTable.set(t, (byTable.get(t) ?? new Set()).add(id));
  for (const r of refs) {
    const entityId = index.entityOf(r);
    const e = entityId ? index.get(entityId) : undefined;
    if (r.table === "entities" || (e && e.annotations.every((a) => chosen.has(`${a.table}/${a.id}`))))
      add("entities", entityId ?? r.id);
    else add(r.table, r.id);
  }
  transact(ctx.doc, origin, () => {
    for (const [t, ids] of byTable)
      deleteRows(
        ctx,
        origin,
        t,
        [...ids].filter((id) => tableMap(ctx.doc, t).has(id)),
      );
  });
}

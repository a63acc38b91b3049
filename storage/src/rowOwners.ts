import type { ComponentTable, RecordRows, ValidationIssue } from "@tessera/shared-crdt";
import type { DatasetHandle } from "@tessera/dataset";
import { byId, type PersistPlan, type TablePlan } from "./persistPlan.js";

/**
 * Row ids are unique across a table, so a row belongs to one record (SPEC D-OWNER): a record's
 * document cannot take over, move or overwrite a row of another record — the rule REST applies
 * when it refuses to create a row with an existing id (409) or to change a row's `record_id`.
 */

/** For the given ids of a table: id → `record_id` of the stored row, for those that exist. */
export async function rowOwners(
  dataset: Pick<DatasetHandle, "getMany">,
  table: ComponentTable,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  for (const row of await dataset.getMany(table, ids, ["id", "record_id"])) {
    if (typeof row.id === "string" && typeof row.record_id === "string") out.set(row.id, row.record_id);
  }
  return out;
}

/** One record of a persist batch: its plan and the rows LanceDB held for it when the plan was made. */
export interface PlannedRecord {
  readonly recordId: string;
  readonly plan: PersistPlan;
  readonly current: RecordRows;
}

/**
 * Each plan of a batch without the rows it would upsert over a row of another record, which are
 * reported instead (never written: the persist worker upserts by id, which would move the row).
 * Only rows a record does not hold yet can be another record's, so only those are looked up: one
 * `id IN (…)` read per table for the whole batch. Two records of the batch creating the same new id
 * are resolved as if they had been folded one after the other, in batch order: the first keeps it,
 * the later ones are told it belongs to the first.
 */
export async function withoutForeignRowsInBatch(
  dataset: Pick<DatasetHandle, "getMany">,
  batch: readonly PlannedRecord[],
): Promise<PersistPlan[]> {
  const fresh = new Map<ComponentTable, Set<string>>();
  for (const { plan, current } of batch) {
    for (const [t, p] of plan.tables) {
      const ours = byId(current.tables[t]);
      let ids = fresh.get(t);
      if (!ids) fresh.set(t, (ids = new Set()));
      for (const r of p.upserts) if (!ours.has(r.id as string)) ids.add(r.id as string);
    }
  }
  const owners = new Map<ComponentTable, Map<string, string>>();
  await Promise.all([...fresh].map(async ([t, ids]) => owners.set(t, await rowOwners(dataset, t, [...ids]))));
  return batch.map(({ recordId, plan }) => {
    const rejected: ValidationIssue[] = [...plan.rejected];
    const tables = new Map<ComponentTable, TablePlan>();
    let dropped = false;
    for (const [t, p] of plan.tables) {
      const known = owners.get(t) ?? new Map<string, string>();
      const upserts = p.upserts.filter((r) => {
        const id = r.id as string;
        const owner = known.get(id);
        if (owner === undefined) {
          // Claimed by this record for the rest of the batch.
          known.set(id, recordId);
          return true;
        }
        if (owner === recordId) return true;
        rejected.push({
          path: `${t}[${id}].id`,
          message: `belongs to record ${JSON.stringify(owner)}: a row never moves to another record`,
        });
        dropped = true;
        return false;
      });
      if (upserts.length > 0 || p.deletes.length > 0) tables.set(t, { upserts, deletes: p.deletes });
    }
    if (!dropped) return plan;
    const record = tables.size > 0 || plan.recordFieldsChanged ? plan.record : null;
    return { ...plan, tables, record, rejected };
  });
}

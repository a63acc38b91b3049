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

/**
 * The persist plan without the rows it would upsert over a row of another record, which are
 * reported instead (never written: the persist worker upserts by id, which would move the row).
 * Only rows this record does not hold yet can be another record's, so only those are looked up.
 */
export async function withoutForeignRows(
  dataset: Pick<DatasetHandle, "getMany">,
  recordId: string,
  plan: PersistPlan,
  current: RecordRows,
): Promise<PersistPlan> {
  const rejected: ValidationIssue[] = [...plan.rejected];
  const tables = new Map<ComponentTable, TablePlan>();
  let dropped = false;
  for (const [t, p] of plan.tables) {
    const ours = byId(current.tables[t]);
    const fresh = p.upserts.map((r) => r.id as string).filter((id) => !ours.has(id));
    const owners = await rowOwners(dataset, t, fresh);
    const upserts = p.upserts.filter((r) => {
      const owner = owners.get(r.id as string);
      if (owner === undefined || owner === recordId) return true;
      rejected.push({
        path: `${t}[${String(r.id)}].id`,
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
}

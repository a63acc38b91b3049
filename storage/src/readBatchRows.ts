import type { DatasetHandle } from "@tessera/dataset";
import { COMPONENT_TABLES, MAX_FILTER_VALUE_LENGTH, type RecordRows, type Row } from "@tessera/shared-crdt";
import { readRecordRows } from "./readRecordRows.js";
import { RecordStateError } from "./errors.js";

/**
 * The rows LanceDB holds now for several records of one dataset, in one query per table: the
 * records by `id IN (…)`, each component table by `record_id IN (…)` (the BTREE index on
 * `record_id` serves both). Same shape per record as `readRecordRows` (rows sorted by id, empty
 * tables omitted); a record missing from the dataset is missing from the map.
 *
 * An id longer than a filter value may be (`MAX_FILTER_VALUE_LENGTH`) is read on its own.
 */
export async function readBatchRows(
  dataset: DatasetHandle,
  recordIds: readonly string[],
): Promise<Map<string, RecordRows>> {
  const out = new Map<string, RecordRows>();
  const unique = [...new Set(recordIds)];
  const batched = unique.filter((id) => id.length > 0 && id.length <= MAX_FILTER_VALUE_LENGTH);
  const alone = unique.filter((id) => !batched.includes(id));
  for (const id of alone) {
    try {
      out.set(id, await readRecordRows(dataset, id));
    } catch (err) {
      if (!(err instanceof RecordStateError && err.reason === "record_not_found")) throw err;
    }
  }
  if (batched.length === 0) return out;

  const present = new Set(await dataset.tables());
  const [records, ...tables] = await Promise.all([
    dataset.getMany("records", batched),
    ...COMPONENT_TABLES.filter((t) => present.has(t)).map(async (t) => {
      return [t, await dataset.rows(t, { filters: [{ column: "record_id", op: "in", values: batched }] })] as const;
    }),
  ]);
  for (const record of records) {
    if (typeof record.id === "string") out.set(record.id, { record, tables: {} });
  }
  for (const [t, items] of tables) {
    const byRecord = new Map<string, Row[]>();
    for (const row of items) {
      if (typeof row.record_id !== "string") continue;
      let list = byRecord.get(row.record_id);
      if (!list) byRecord.set(row.record_id, (list = []));
      list.push(row);
    }
    for (const [recordId, rows] of byRecord) {
      const target = out.get(recordId);
      if (target) target.tables[t] = rows.sort((a, b) => String(a.id).localeCompare(String(b.id)));
    }
  }
  return out;
}

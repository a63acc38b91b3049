import type { DatasetHandle } from "@tessera/dataset";
import { COMPONENT_TABLES, type RecordRows, type Row } from "@tessera/shared-crdt";
import { RecordStateError } from "./errors.js";

/**
 * A record's rows as LanceDB holds them now: the record row and, for every component table the
 * dataset has on disk, the rows whose `record_id` is this record (sorted by id; empty tables
 * omitted, like `rowsOfDoc`). Throws `RecordStateError("record_not_found")`.
 */
export async function readRecordRows(dataset: DatasetHandle, recordId: string): Promise<RecordRows> {
  const record = await dataset.get("records", recordId);
  if (!record)
    throw new RecordStateError(
      "record_not_found",
      `record ${JSON.stringify(recordId)} not found in dataset ${JSON.stringify(dataset.id)}`,
    );
  const present = new Set(await dataset.tables());
  const tables: RecordRows["tables"] = {};
  const reads = COMPONENT_TABLES.filter((t) => present.has(t)).map(async (t) => {
    return [t, await dataset.rows(t, { where: { record_id: recordId } })] as const;
  });
  for (const [t, items] of await Promise.all(reads)) {
    if (items.length > 0) tables[t] = sortById(items);
  }
  return { record, tables };
}

function sortById(rows: Row[]): Row[] {
  return rows.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

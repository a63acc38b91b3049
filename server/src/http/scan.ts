import type { DatasetHandle, QueryOptions } from "@tessera/dataset";
import type { Row, TableName } from "@tessera/shared-crdt";

/**
 * Every row matching `options`, in storage order, in one scan: the library has no page cap, and a
 * walk by `offset` pages re-read every row before each page (quadratic on large tables).
 */
export async function scanAll(
  handle: DatasetHandle,
  table: TableName,
  options: Omit<QueryOptions, "limit" | "offset" | "after">,
): Promise<Row[]> {
  return (await handle.query(table, options)).items;
}

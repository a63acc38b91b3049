import type { DatasetHandle, QueryOptions } from "@tessera/dataset";
import type { Row, TableName } from "@tessera/shared-crdt";

const PAGE = 1000;

/** Every row matching `options`, read page by page (the library caps a page at 1000 rows). */
export async function scanAll(
  handle: DatasetHandle,
  table: TableName,
  options: Omit<QueryOptions, "limit" | "offset" | "after">,
): Promise<Row[]> {
  const out: Row[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await handle.query(table, { ...options, limit: PAGE, offset });
    out.push(...page.items);
    if (page.items.length < PAGE || out.length >= page.total) return out;
  }
}

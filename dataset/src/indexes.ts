import * as lancedb from "@lancedb/lancedb";
import type { OpenTable } from "./tableStore.js";

/**
 * Columns indexed by `Dataset.optimize`: BTREE on ids and foreign keys (selective lookups:
 * a row, a record's annotations). Pixano 0.8 also puts BITMAP indexes on `split`, `status`,
 * `logical_name`, `source_type`; we do not: on low-cardinality columns whose values interleave
 * (statuses change row by row), an index-served filter reads row by row and a non-selective
 * filter got ~10× slower than a plain scan (1M records: ~1 s against ~0.1 s).
 */
export const INDEX_COLUMNS: readonly string[] = ["id", "record_id", "entity_id", "view_id", "frame_id", "tracklet_id"];

/**
 * Adds the missing BTREE indexes of a non-empty table, then compacts it (and updates its indexes),
 * removing the versions older than `pruneBefore` when given.
 */
export async function optimizeTable(t: OpenTable, pruneBefore?: Date): Promise<void> {
  if ((await t.table.countRows()) === 0) return;
  const indexed = new Set((await t.table.listIndices()).flatMap((i) => i.columns));
  for (const c of t.layout.schema.columns) {
    if (!INDEX_COLUMNS.includes(c.name) || indexed.has(c.name)) continue;
    await t.table.createIndex(c.name, { config: lancedb.Index.btree() });
  }
  await t.table.optimize(pruneBefore ? { cleanupOlderThan: pruneBefore } : undefined);
}

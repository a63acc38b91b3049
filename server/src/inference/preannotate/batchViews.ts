import type { DatasetHandle } from "@tessera/dataset";
import { MAX_FILTER_VALUE_LENGTH, type Row } from "@tessera/shared-crdt";
import type { SegmentedView } from "../InferenceService.js";

/** An image view of a job's record, as one batch query read it. */
export interface JobView {
  /** Its size is [0, 0] when the row has none (read from the image's header before detecting). */
  readonly view: SegmentedView;
  readonly uri: string;
  /** The row's `raw_bytes` (embedded images), null when empty. */
  readonly raw: Uint8Array | null;
}

const COLUMNS = ["id", "record_id", "logical_name", "uri", "width", "height", "raw_bytes"];

const str = (v: unknown): string => (typeof v === "string" ? v : v === null || v === undefined ? "" : String(v));
const dim = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0));

function jobView(row: Row): JobView {
  const raw = row.raw_bytes instanceof Uint8Array && row.raw_bytes.length > 0 ? row.raw_bytes : null;
  const width = dim(row.width);
  const height = dim(row.height);
  return {
    view: {
      table: "images",
      id: str(row.id),
      recordId: str(row.record_id),
      logicalName: str(row.logical_name),
      size: width > 0 && height > 0 ? [height, width] : [0, 0],
    },
    uri: str(row.uri),
    raw,
  };
}

/**
 * The `images` views of several records in one query (`record_id IN (…)`; an id too long for a
 * filter value is read on its own), each record's views in id order. Records without a view are
 * absent from the map. A pre-annotation batch reads its views so instead of three lookups per view.
 */
export async function imageViewsOf(
  handle: DatasetHandle,
  recordIds: readonly string[],
): Promise<Map<string, JobView[]>> {
  const out = new Map<string, JobView[]>();
  if (!handle.schema.tables.has("images")) return out;
  const unique = [...new Set(recordIds)];
  const batched = unique.filter((id) => id.length > 0 && id.length <= MAX_FILTER_VALUE_LENGTH);
  const lists = await Promise.all([
    ...(batched.length > 0
      ? [handle.rows("images", { filters: [{ column: "record_id", op: "in", values: batched }], columns: COLUMNS })]
      : []),
    ...unique
      .filter((id) => !batched.includes(id))
      .map((id) => handle.rows("images", { where: { record_id: id }, columns: COLUMNS })),
  ]);
  for (const rows of lists)
    for (const row of rows) {
      const v = jobView(row);
      const list = out.get(v.view.recordId);
      if (list) list.push(v);
      else out.set(v.view.recordId, [v]);
    }
  for (const list of out.values()) list.sort((a, b) => (a.view.id < b.view.id ? -1 : a.view.id > b.view.id ? 1 : 0));
  return out;
}

import type { DatasetHandle } from "@tessera/dataset";
import type { Filter, Row, TableName } from "@tessera/shared-crdt";
import { scanAll } from "./scan.js";
import type { PreviewDescriptor } from "@tessera/shared-crdt/api";

/**
 * `include=view_previews` (Pixano 0.8 `_resolve_view_previews`): for each listed record, one
 * thumbnail descriptor per logical view — images (the last row wins, as in Pixano), the first
 * frame of each frame sequence, and a text excerpt for text views.
 */
/** One view's preview in a record listing: declared once in shared-crdt's `api` (also the client's type). */
export type { PreviewDescriptor };

const THUMBNAIL_SIZE = 256;
const EXCERPT_LENGTH = 160;

function previewUrl(datasetId: string, resource: string, rowId: string, uri: unknown): string {
  if (typeof uri === "string" && /^https?:\/\//.test(uri)) return uri;
  return `/datasets/${encodeURIComponent(datasetId)}/${resource}/${encodeURIComponent(rowId)}/preview?size=${THUMBNAIL_SIZE}`;
}

async function rowsOf(
  handle: DatasetHandle,
  table: TableName,
  recordIds: readonly string[],
  columns: string[],
  extra: Filter[] = [],
): Promise<Row[]> {
  if (!handle.schema.tables.has(table)) return [];
  return scanAll(handle, table, { filters: [{ column: "record_id", op: "in", values: recordIds }, ...extra], columns });
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export async function resolveViewPreviews(
  handle: DatasetHandle,
  datasetId: string,
  recordIds: readonly string[],
): Promise<Map<string, Record<string, PreviewDescriptor>>> {
  const out = new Map<string, Record<string, PreviewDescriptor>>(recordIds.map((id) => [id, {}]));
  if (recordIds.length === 0) return out;
  const slot = (recordId: string) => {
    let m = out.get(recordId);
    if (!m) out.set(recordId, (m = {}));
    return m;
  };
  for (const row of await rowsOf(handle, "images", recordIds, ["id", "record_id", "logical_name", "uri"])) {
    const [rid, name, id] = [str(row.record_id), str(row.logical_name), str(row.id)];
    if (!rid || !name || !id) continue;
    slot(rid)[name] = {
      resource: "images",
      id,
      kind: "image",
      preview_url: previewUrl(datasetId, "images", id, row.uri),
    };
  }
  const firstFrame: Filter = { column: "frame_index", op: "eq", values: ["0"] };
  for (const row of await rowsOf(
    handle,
    "sequence_frames",
    recordIds,
    ["id", "record_id", "logical_name", "frame_index", "uri"],
    [firstFrame],
  )) {
    const [rid, name, id] = [str(row.record_id), str(row.logical_name), str(row.id)];
    if (!rid || !name || !id || slot(rid)[name]) continue;
    slot(rid)[name] = {
      resource: "sframes",
      id,
      kind: "image",
      preview_url: previewUrl(datasetId, "sframes", id, row.uri),
    };
  }
  for (const row of await rowsOf(handle, "texts", recordIds, ["id", "record_id", "logical_name", "content"])) {
    const [rid, name, id] = [str(row.record_id), str(row.logical_name), str(row.id)];
    if (!rid || !name || !id || slot(rid)[name]) continue;
    slot(rid)[name] = {
      resource: "texts",
      id,
      kind: "text",
      preview_url: "",
      excerpt: [...str(row.content)].slice(0, EXCERPT_LENGTH).join(""),
    };
  }
  return out;
}

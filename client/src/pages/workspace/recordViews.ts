import type { DatasetSchema } from "@tessera/shared-crdt";
import { listRecordVideos, listRecordViews } from "../../api/endpoints.js";
import type { ViewItem } from "../../api/types.js";
import type { CanvasView } from "../../canvas/types.js";

/**
 * The images the canvas shows for a record: each image view, the first frame of each frame
 * sequence, and frame 0 of each video file (decoded by the server; video records get their
 * timeline later). Text views are not drawn on the canvas.
 */
export async function recordViews(datasetId: string, recordId: string, schema: DatasetSchema): Promise<CanvasView[]> {
  const tables = new Set(schema.views.values());
  const out: CanvasView[] = [];
  const toView = (v: ViewItem): CanvasView => ({
    id: v.id,
    logicalName: v.logical_name ?? "",
    src: v.src,
    // Optional in the schema; the server sends them (0 when the row has none).
    width: v.width ?? 0,
    height: v.height ?? 0,
  });
  if (tables.has("images")) {
    for (const v of (await listRecordViews(datasetId, recordId, "images")).items) out.push(toView(v));
  }
  if (tables.has("sequence_frames")) {
    const first = new Map<string, ViewItem>();
    for (const v of (await listRecordViews(datasetId, recordId, "sframes")).items) {
      const name = v.logical_name ?? "";
      const prev = first.get(name);
      if (!prev || (v.frame_index ?? 0) < (prev.frame_index ?? 0)) first.set(name, v);
    }
    for (const v of first.values()) out.push(toView(v));
  }
  if (tables.has("videos")) {
    for (const v of (await listRecordVideos(datasetId, recordId)).items)
      out.push({
        id: v.id,
        logicalName: v.logical_name ?? "",
        src: `/datasets/${encodeURIComponent(datasetId)}/videos/${encodeURIComponent(v.id)}/frames/0`,
        width: v.width ?? 0,
        height: v.height ?? 0,
      });
  }
  // Views in the order info.json declares them.
  const order = [...schema.views.keys()];
  return out.sort((a, b) => order.indexOf(a.logicalName) - order.indexOf(b.logicalName));
}

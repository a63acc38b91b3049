import type * as Y from "yjs";
import {
  COMPONENT_TABLES,
  createEntity,
  deleteRows,
  randomId,
  readRowCells,
  readRows,
  rowIds,
  restOrigin,
  storedReviewStatus,
  withCustom,
  type DatasetSchema,
  type Detection,
} from "@tessera/shared-crdt";

/**
 * A pre-annotation job's results in one record document (SPEC INF-PREANN): one new entity and
 * one bbox per detection, a model proposal of SPEC D-PROPOSAL — `source_type: "model"`,
 * `source_name` = the model, the score as the box's `confidence` and in `source_metadata`, and
 * `review_status: "pending"` in `source_metadata` (SPEC D-PROPOSAL's place for it when the row has
 * no `review_status` cell). A newer Pixano layout's `review_status` column, which info.json does
 * not declare, cannot be set on a row created in a record document (the document's rows have the
 * declared columns): it is stored empty, and every reader takes the metadata's `pending`. The model's earlier boxes on the same view that nobody reviewed yet are
 * replaced (deleted with their entity when the entity holds nothing else), so running a job
 * again does not duplicate; reviewed ones (accepted, corrected, rejected) stay.
 */
export interface ViewDetections {
  readonly viewId: string;
  /** [height, width]. */
  readonly size: readonly [number, number];
  readonly detections: readonly Detection[];
}

export interface WriteSummary {
  readonly entities: number;
  readonly bboxes: number;
  readonly replaced: number;
}

/** Of `entityIds`, those nothing else hangs on than the `dropping` bboxes (deleting them would leave the entity empty). */
function emptiedBy(doc: Y.Doc, entityIds: ReadonlySet<string>, dropping: ReadonlySet<string>): Set<string> {
  const left = new Set(entityIds);
  for (const table of COMPONENT_TABLES) {
    if (table === "entities") continue;
    for (const id of rowIds(doc, table)) {
      const e = readRowCells(doc, table, id)?.entity_id;
      if (typeof e === "string" && left.has(e) && !(table === "bboxes" && dropping.has(id))) left.delete(e);
    }
  }
  for (const id of rowIds(doc, "entities")) {
    const parent = readRowCells(doc, "entities", id)?.parent_id;
    if (typeof parent === "string") left.delete(parent);
  }
  return left;
}

/** Replaces `model`'s pending boxes on each view with new proposals; call inside the record document's edit. */
export function writeDetections(
  doc: Y.Doc,
  schema: DatasetSchema,
  recordId: string,
  userId: string,
  input: {
    readonly model: string;
    readonly labels: readonly string[];
    readonly jobId: string;
  },
  views: readonly ViewDetections[],
): WriteSummary {
  const origin = restOrigin(userId);
  const ctx = { doc, schema, recordId, newId: randomId };
  const viewIds = new Set(views.map((v) => v.viewId));
  const stale = readRows(doc, "bboxes").filter((b) => {
    if (b.source_type !== "model" || b.source_name !== input.model || !viewIds.has(String(b.view_id))) return false;
    const status = storedReviewStatus(readRowCells(doc, "bboxes", b.id) ?? {});
    return status === "" || status === "pending";
  });
  const staleIds = new Set(stale.map((b) => b.id));
  const staleEntities = emptiedBy(doc, new Set(stale.map((b) => String(b.entity_id))), staleIds);
  if (staleIds.size > 0) deleteRows(ctx, origin, "bboxes", [...staleIds]);
  if (staleEntities.size > 0) deleteRows(ctx, origin, "entities", [...staleEntities]);

  const entityColumns = new Set(schema.tables.get("entities")?.columns.map((c) => c.name) ?? []);
  let bboxes = 0;
  for (const view of views) {
    const [height, width] = view.size;
    for (const d of view.detections) {
      const label = input.labels[d.classIndex] ?? String(d.classIndex);
      const [x, y, w, h] = d.box;
      const metadata = {
        confidence: d.score,
        label,
        class_index: d.classIndex,
        job_id: input.jobId,
        review_status: "pending",
      };
      createEntity(ctx, origin, {
        entity: entityColumns.has("category") ? withCustom({}, { category: label }) : {},
        annotation: {
          table: "bboxes",
          row: {
            view_id: view.viewId,
            coords: [x / width, y / height, Math.min(1, w / width), Math.min(1, h / height)],
            format: "xywh",
            is_normalized: true,
            confidence: d.score,
            source_type: "model",
            source_name: input.model,
            source_metadata: JSON.stringify(metadata),
          },
        },
      });
      bboxes++;
    }
  }
  return { entities: bboxes, bboxes, replaced: staleIds.size };
}

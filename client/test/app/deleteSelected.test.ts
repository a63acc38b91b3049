import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  parseDatasetInfo,
  rowIds,
  addRow,
  type DocContext,
  withCustom,
} from "@tessera/shared-crdt";
import { EntityIndex } from "../../src/app/EntityIndex.js";
import { createUndoManager } from "../../src/app/undo.js";
import { deleteSelected } from "../../src/pages/workspace/deleteSelected.js";

const schema = datasetSchemaOf(
  parseDatasetInfo({
    id: "ds",
    entity: {
      base: "Entity",
      name: "Obj",
      fields: { category: { collection: false, type: "str", required: false, default: "" } },
    },
    bbox: { base: "BBox", fields: {} },
    multi_path: { base: "MultiPath", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  }),
);
let n = 0;
const origin = clientOrigin("me");

function setup() {
  const doc = new Y.Doc();
  const ctx: DocContext = { doc, schema, recordId: "r1", newId: () => `id${++n}` };
  const a = createEntity(ctx, origin, {
    entity: withCustom({}, { category: "car" }),
    annotation: { table: "bboxes", row: { coords: [0, 0, 0.1, 0.1], view_id: "v" } },
  });
  const poly = addRow(ctx, origin, "multi_paths", {
    entity_id: a.entityId,
    coords: [0, 0, 1, 0, 1, 1],
    num_points: [3],
    is_closed: true,
    view_id: "v",
  });
  const b = createEntity(ctx, origin, {
    entity: withCustom({}, { category: "tree" }),
    annotation: { table: "bboxes", row: { coords: [0.5, 0.5, 0.1, 0.1], view_id: "v" } },
  });
  return { doc, ctx, a, poly, b, index: new EntityIndex(doc, "category") };
}

describe("deleteSelected", () => {
  it("removes one shape of an entity that has others, and keeps the entity", () => {
    const { doc, ctx, a, poly, index } = setup();
    deleteSelected(ctx, origin, index, [{ table: "multi_paths", id: poly }]);
    expect(rowIds(doc, "multi_paths")).toEqual([]);
    expect(rowIds(doc, "entities")).toContain(a.entityId);
    expect(index.get(a.entityId)?.annotations).toEqual([{ table: "bboxes", id: a.annotationId }]);
  });

  it("takes the entity with its last shapes, in one undo step", () => {
    const { doc, ctx, a, poly, b, index } = setup();
    const undo = createUndoManager(doc, origin);
    deleteSelected(ctx, origin, index, [
      { table: "bboxes", id: a.annotationId ?? "" },
      { table: "multi_paths", id: poly },
      { table: "bboxes", id: b.annotationId ?? "" },
    ]);
    expect(rowIds(doc, "entities")).toEqual([]);
    expect(rowIds(doc, "bboxes")).toEqual([]);
    expect(undo.undoStack).toHaveLength(1);
    undo.undo();
    expect(rowIds(doc, "entities").sort()).toEqual([a.entityId, b.entityId].sort());
    expect(rowIds(doc, "multi_paths")).toEqual([poly]);
  });
});

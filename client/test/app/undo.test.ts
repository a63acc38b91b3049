import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  parseDatasetInfo,
  readRow,
  rowIds,
  updateRow,
  type DocContext,
  customCell,
  withCustom,
} from "@tessera/shared-crdt";
import { createUndoManager } from "../../src/app/undo.js";

const info = parseDatasetInfo({
  id: "ds",
  workspace: "image",
  record: { base: "Record", fields: {} },
  entity: {
    base: "Entity",
    name: "Obj",
    fields: { category: { collection: false, type: "str", required: false, default: "" } },
  },
  bbox: { base: "BBox", fields: {} },
  views: { image: { base: "Image", fields: {} } },
});
const schema = datasetSchemaOf(info);

/** Two replicas of one record that exchange every update at once (the server's relay, minus the wire). */
function pair(): [Y.Doc, Y.Doc] {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on("update", (u: Uint8Array, origin: unknown) => origin !== "remote" && Y.applyUpdate(b, u, "remote"));
  b.on("update", (u: Uint8Array, origin: unknown) => origin !== "remote" && Y.applyUpdate(a, u, "remote"));
  return [a, b];
}

let n = 0;
const ctx = (doc: Y.Doc): DocContext => ({ doc, schema, recordId: "r1", newId: () => `id${++n}` });
const box = (x: number) => ({ table: "bboxes" as const, row: { coords: [x, 0.1, 0.2, 0.2], view_id: "v1" } });

describe("per-user undo", () => {
  it("undoes only this person's shapes, even when someone else drew later", () => {
    const [a, b] = pair();
    const originA = clientOrigin("A");
    const originB = clientOrigin("B");
    const undoA = createUndoManager(a, originA);
    const mine = createEntity(ctx(a), originA, { entity: withCustom({}, { category: "car" }), annotation: box(0.1) });
    undoA.stopCapturing();
    const theirs = createEntity(ctx(b), originB, {
      entity: withCustom({}, { category: "tree" }),
      annotation: box(0.5),
    });
    expect(rowIds(a, "bboxes")).toHaveLength(2);

    undoA.undo();
    expect(rowIds(a, "bboxes")).toEqual([theirs.annotationId]);
    expect(rowIds(b, "bboxes")).toEqual([theirs.annotationId]);
    expect(rowIds(b, "entities")).toEqual([theirs.entityId]);

    undoA.redo();
    expect(new Set(rowIds(b, "bboxes"))).toEqual(new Set([mine.annotationId, theirs.annotationId]));
  });

  it("does not revert someone else's edit of a shape, only one's own", () => {
    const [a, b] = pair();
    const originA = clientOrigin("A");
    const originB = clientOrigin("B");
    const undoA = createUndoManager(a, originA);
    const undoB = createUndoManager(b, originB);
    const e = createEntity(ctx(a), originA, { entity: withCustom({}, { category: "car" }), annotation: box(0.1) });
    undoA.stopCapturing();
    updateRow(ctx(b), originB, "entities", e.entityId, withCustom({}, { category: "person" }));
    updateRow(ctx(a), originA, "bboxes", e.annotationId ?? "", { coords: [0.3, 0.3, 0.2, 0.2] });
    undoA.undo(); // A's move goes; B's relabel stays
    expect(readRow(b, "bboxes", e.annotationId ?? "")?.coords).toEqual([0.1, 0.1, 0.2, 0.2]);
    expect(customCell(readRow(b, "entities", e.entityId), "category")).toBe("person");
    expect(undoB.undoStack).toHaveLength(1);
    undoB.undo();
    expect(customCell(readRow(a, "entities", e.entityId), "category")).toBe("car");
    expect(readRow(a, "bboxes", e.annotationId ?? "")).toBeDefined();
  });

  it("ignores remote transactions entirely", () => {
    const [a, b] = pair();
    const undoA = createUndoManager(a, clientOrigin("A"));
    createEntity(ctx(b), clientOrigin("B"), { entity: withCustom({}, { category: "car" }), annotation: box(0.1) });
    expect(undoA.undoStack).toHaveLength(0);
    undoA.undo();
    expect(rowIds(a, "bboxes")).toHaveLength(1);
  });
});

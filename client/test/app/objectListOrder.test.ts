import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  deleteRows,
  parseDatasetInfo,
  withCustom,
  type DocContext,
} from "@tessera/shared-crdt";
import { EntityIndex } from "../../src/app/EntityIndex.js";
import { createUndoManager } from "../../src/app/undo.js";

/**
 * The object list's order (ids shown, a stable order): the same for every
 * replica, whatever order the rows reached its document in, and unchanged by an undone deletion.
 */

const schema = datasetSchemaOf(
  parseDatasetInfo({
    id: "ds",
    entity: {
      base: "Entity",
      name: "Obj",
      fields: { category: { collection: false, type: "str", required: false, default: "" } },
    },
    bbox: { base: "BBox", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  }),
);
const origin = clientOrigin("me");

function addObject(doc: Y.Doc, id: string, category: string): void {
  const ctx: DocContext = {
    doc,
    schema,
    recordId: "r1",
    newId: (() => {
      let n = 0;
      return () => (n++ === 0 ? id : `${id}-box`);
    })(),
  };
  createEntity(ctx, origin, {
    entity: withCustom({}, { category }),
    annotation: { table: "bboxes", row: { coords: [0, 0, 0.1, 0.1], view_id: "v" } },
  });
}

describe("object list order", () => {
  it("is the same on two replicas that received the objects in opposite orders (was arrival order)", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const updates: Uint8Array[] = [];
    a.on("update", (u: Uint8Array) => updates.push(u));
    for (const [id, cat] of [
      ["m-obj", "car"],
      ["c-obj", "tree"],
      ["x-obj", "person"],
      ["a-obj", "dog"],
    ] as const)
      addObject(a, id, cat);
    for (const u of [...updates].reverse()) Y.applyUpdate(b, u);
    const ia = new EntityIndex(a, "category");
    const ib = new EntityIndex(b, "category");
    const order = ia.items().map((e) => e.id);
    expect(ib.items().map((e) => e.id)).toEqual(order);
    expect(order).toEqual(["a-obj", "c-obj", "m-obj", "x-obj"]);
  });

  it("puts an object whose deletion was undone back in its place (it used to come back last)", () => {
    const doc = new Y.Doc();
    for (const [id, cat] of [
      ["a-obj", "car"],
      ["b-obj", "tree"],
      ["c-obj", "dog"],
    ] as const)
      addObject(doc, id, cat);
    const index = new EntityIndex(doc, "category");
    const undo = createUndoManager(doc, origin);
    const ctx: DocContext = { doc, schema, recordId: "r1", newId: () => "unused" };
    deleteRows(ctx, origin, "entities", ["a-obj"]);
    expect(index.items().map((e) => e.id)).toEqual(["b-obj", "c-obj"]);
    undo.undo();
    expect(index.items().map((e) => e.id)).toEqual(["a-obj", "b-obj", "c-obj"]);
  });
});

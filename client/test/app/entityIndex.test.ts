import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  deleteRows,
  parseDatasetInfo,
  relabel,
  updateRow,
  type DocContext,
  withCustom,
} from "@tessera/shared-crdt";
import { EntityIndex } from "../../src/app/EntityIndex.js";

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
const ctx = (doc: Y.Doc): DocContext => ({ doc, schema, recordId: "r1", newId: () => `id${++n}` });
const origin = clientOrigin("me");

describe("EntityIndex", () => {
  it("lists entities with their annotations and follows edits incrementally", () => {
    const doc = new Y.Doc();
    const first = createEntity(ctx(doc), origin, {
      entity: withCustom({}, { category: "car" }),
      annotation: { table: "bboxes", row: { coords: [0, 0, 0.1, 0.1], view_id: "v" } },
    });
    const index = new EntityIndex(doc, "category");
    expect(index.items().map((e) => [e.id, e.label, e.annotations.length])).toEqual([[first.entityId, "car", 1]]);

    let notified = 0;
    index.subscribe(() => notified++);
    const second = createEntity(ctx(doc), origin, {
      entity: withCustom({}, { category: "tree" }),
      annotation: {
        table: "multi_paths",
        row: { coords: [0, 0, 1, 0, 1, 1], num_points: [3], is_closed: true, view_id: "v" },
      },
    });
    expect(index.items()).toHaveLength(2);
    expect(index.get(second.entityId)?.annotations).toEqual([{ table: "multi_paths", id: second.annotationId }]);
    expect(index.entityOf({ table: "multi_paths", id: second.annotationId ?? "" })).toBe(second.entityId);

    relabel(ctx(doc), origin, first.entityId, "person");
    expect(index.get(first.entityId)?.label).toBe("person");

    // Moving an annotation to another entity re-files it.
    updateRow(ctx(doc), origin, "bboxes", first.annotationId ?? "", { entity_id: second.entityId });
    expect(index.get(first.entityId)?.annotations).toEqual([]);
    expect(
      index
        .get(second.entityId)
        ?.annotations.map((a) => a.table)
        .sort(),
    ).toEqual(["bboxes", "multi_paths"]);

    deleteRows(ctx(doc), origin, "entities", [second.entityId]);
    expect(index.items().map((e) => e.id)).toEqual([first.entityId]);
    expect(notified).toBe(4);
    index.destroy();
  });

  it("remembers which Yjs client last edited an entity", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    a.on("update", (u: Uint8Array, o: unknown) => o !== "net" && Y.applyUpdate(b, u, "net"));
    b.on("update", (u: Uint8Array, o: unknown) => o !== "net" && Y.applyUpdate(a, u, "net"));
    const index = new EntityIndex(a, "category");
    const e = createEntity(ctx(a), origin, { entity: withCustom({}, { category: "car" }) });
    expect(index.get(e.entityId)?.lastEditor).toBe(a.clientID);
    relabel(ctx(b), clientOrigin("b"), e.entityId, "house");
    expect(index.get(e.entityId)).toMatchObject({ label: "house", lastEditor: b.clientID });
  });

  it("keeps item identity for untouched entities (cheap list diffs)", () => {
    const doc = new Y.Doc();
    const e1 = createEntity(ctx(doc), origin, { entity: withCustom({}, { category: "a" }) });
    const index = new EntityIndex(doc, "category");
    const before = index.get(e1.entityId);
    createEntity(ctx(doc), origin, { entity: withCustom({}, { category: "b" }) });
    expect(index.get(e1.entityId)).toBe(before);
  });
});

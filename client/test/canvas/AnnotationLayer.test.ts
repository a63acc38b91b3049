import "./pixiInNode.js";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  clientOrigin,
  createEntity,
  deleteRows,
  observeRecordChanges,
  updateRow,
  type DocContext,
  withCustom,
} from "@tessera/shared-crdt";
import { AnnotationLayer } from "../../src/canvas/render/AnnotationLayer.js";
import { tileViews } from "../../src/canvas/scene/layout.js";
import { SceneModel } from "../../src/canvas/scene/SceneModel.js";
import { boxRowFields } from "../../src/tools/shapes.js";
import { ids, imageSchema, PERSON, RECORD } from "../tools/support.js";

const O = clientOrigin("t");

function setup(n: number) {
  const doc = new Y.Doc();
  const ctx: DocContext = { doc, schema: imageSchema(), recordId: RECORD, newId: ids("a") };
  const refs: string[] = [];
  doc.transact(() => {
    for (let i = 0; i < n; i++) {
      const r = createEntity(ctx, O, {
        entity: withCustom({}, { category: "car" }),
        annotation: { table: "bboxes", row: boxRowFields("v", (i % 20) / 20, Math.floor(i / 20) / 20, 0.01, 0.01) },
      });
      refs.push(r.annotationId as string);
    }
  }, O);
  const scene = new SceneModel(doc, tileViews([{ id: "v", width: 2000, height: 2000 }]), n);
  let now = 0;
  const layer = new AnnotationLayer({
    scene,
    colorOf: () => 0xff0000,
    templates: [PERSON],
    fill: false,
    now: () => (now += 0.01),
  });
  scene.addSink(layer);
  scene.load();
  observeRecordChanges(doc, (ch) => scene.apply(ch));
  return { doc, ctx, scene, layer, refs };
}

describe("annotation layer (retained views, buckets)", () => {
  it("builds queued views in time slices, one per row", () => {
    const { layer } = setup(400);
    expect(layer.pending).toBe(400);
    layer.build(0);
    expect(layer.count).toBe(64);
    while (layer.build(1000) > 0);
    expect(layer.count).toBe(400);
  });

  it("culling shows only the shapes whose bucket meets the view, and brings them back", () => {
    const { layer, scene, refs } = setup(400);
    layer.build(1e9);
    const item = (i: number) => scene.get({ table: "bboxes", id: refs[i] as string });
    const first = item(0);
    const last = item(399);
    if (!first || !last) throw new Error("missing items");
    expect(layer.isShown(first) && layer.isShown(last)).toBe(true);
    // A view over the top-left corner only.
    layer.setViewport(0, 0, 150, 150, 1);
    expect(layer.isShown(first)).toBe(true);
    expect(layer.isShown(last)).toBe(false);
    layer.setViewport(1800, 1800, 2000, 2000, 1);
    expect(layer.isShown(first)).toBe(false);
    expect(layer.isShown(last)).toBe(true);
  });

  it("document edits update, move and destroy views; hidden entities are not shown", () => {
    const { layer, scene, ctx, refs, doc } = setup(10);
    layer.build(1e9);
    const id = refs[0] as string;
    const before = layer.view(`bboxes/${id}`);
    updateRow(ctx, O, "bboxes", id, { coords: [0.9, 0.9, 0.01, 0.01] });
    // Moved across buckets: a new view replaces the old one.
    expect(layer.view(`bboxes/${id}`)).not.toBe(before);
    expect(layer.count).toBe(10);
    const item = scene.get({ table: "bboxes", id });
    if (!item) throw new Error("missing item");
    scene.setHidden(new Set([item.entityId]));
    expect(layer.isShown(item)).toBe(false);
    deleteRows(ctx, O, "bboxes", [id]);
    expect(layer.view(`bboxes/${id}`)).toBeUndefined();
    expect(layer.count).toBe(9);
    void doc;
  });
});

import "./pixiInNode.js";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { clientOrigin, createEntity, withCustom, type DocContext } from "@tessera/shared-crdt";
import { AnnotationLayer } from "../../src/canvas/render/AnnotationLayer.js";
import { STYLE } from "../../src/canvas/render/style.js";
import { tileViews } from "../../src/canvas/scene/layout.js";
import { SceneModel } from "../../src/canvas/scene/SceneModel.js";
import { boxRowFields } from "../../src/tools/shapes.js";
import { ids, imageSchema, PERSON, RECORD } from "../tools/support.js";

const O = clientOrigin("t");

/** Two model boxes on one view, in a scene with its annotation layer (SPEC D-PROPOSAL canvas styling). */
function setup() {
  const doc = new Y.Doc();
  const ctx: DocContext = { doc, schema: imageSchema(), recordId: RECORD, newId: ids("p") };
  const boxes = [0.1, 0.5].map((x) =>
    createEntity(ctx, O, {
      entity: withCustom({}, { category: "car" }),
      annotation: {
        table: "bboxes",
        row: { ...boxRowFields("v", x, x, 0.1, 0.1), source_type: "model", confidence: x },
      },
    }),
  );
  const scene = new SceneModel(doc, tileViews([{ id: "v", width: 1000, height: 1000 }]), 2);
  const layer = new AnnotationLayer({ scene, colorOf: () => 0xff0000, templates: [PERSON], fill: false, now: () => 0 });
  scene.addSink(layer);
  scene.load();
  layer.build(1e9);
  const item = (i: number) => {
    const b = boxes[i];
    const it = b && scene.get({ table: "bboxes", id: b.annotationId as string });
    if (!it) throw new Error("missing item");
    return it;
  };
  return { scene, layer, item, boxes };
}

describe("model proposals on the canvas", () => {
  it("pending proposals are drawn dimmed, filtered ones are not drawn nor picked, and both come back", () => {
    const { scene, layer, item, boxes } = setup();
    const [a, b] = [boxes[0]?.entityId as string, boxes[1]?.entityId as string];
    expect(layer.styleOf(item(0)).alpha).toBe(1);
    scene.setProposals(new Set([a]), new Set([b]));
    expect(layer.styleOf(item(0)).alpha).toBe(STYLE.proposalAlpha);
    expect([...scene.proposalItems()].map((i) => i.entityId)).toEqual([a]);
    expect(layer.isShown(item(0))).toBe(true);
    expect(layer.isShown(item(1))).toBe(false);
    expect(scene.isHidden(item(1))).toBe(true);
    scene.setProposals(new Set(), new Set());
    expect(layer.styleOf(item(0)).alpha).toBe(1);
    expect(layer.isShown(item(1))).toBe(true);
  });
});

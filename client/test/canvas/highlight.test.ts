import "./pixiInNode.js";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { clientOrigin, createEntity, type DocContext } from "@tessera/shared-crdt";
import type { CanvasRenderer } from "../../src/canvas/renderer.js";
import { TesseraCanvas } from "../../src/canvas/TesseraCanvas.js";
import { tileViews } from "../../src/canvas/scene/layout.js";
import { SceneModel } from "../../src/canvas/scene/SceneModel.js";
import type { CanvasOptions } from "../../src/canvas/types.js";
import { boxRowFields } from "../../src/tools/shapes.js";
import { ids, imageSchema, PERSON, RECORD, VIEWS } from "../tools/support.js";
import { ManualClock } from "./support.js";

/** Counts overlay redraw requests (the Pixi side is not under test). */
class OverlayCounter implements CanvasRenderer {
  screenW = 1000;
  screenH = 500;
  overlays = 0;
  setCursor() {}
  invalidate() {}
  onCamera() {}
  onOverlay() {
    this.overlays++;
  }
  onPeers() {}
  setAdjustments() {}
  restyleAll() {}
  fps() {
    return 0;
  }
  destroy() {}
}

function mount() {
  const doc = new Y.Doc();
  const schema = imageSchema();
  const options: CanvasOptions = {
    doc,
    schema,
    recordId: RECORD,
    views: VIEWS.map((v) => ({ ...v, logicalName: v.id, src: `/media/${v.id}.png` })),
    awareness: new Awareness(doc),
    origin: clientOrigin("me"),
    newId: ids("c"),
    colorOf: () => 0xff0000,
    templates: [PERSON],
    editable: true,
  };
  const canvas = new TesseraCanvas(options, new SceneModel(doc, tileViews(options.views)), new ManualClock());
  const renderer = new OverlayCounter();
  canvas.attach(renderer);
  canvas.start();
  canvas.setCamera({ x: 0, y: 0, zoom: 1 }, false);
  const ctx: DocContext = { doc, schema, recordId: RECORD, newId: ids("x") };
  const move = (x: number, y: number) =>
    canvas.toolEvent({ type: "move", p: canvas.toPoint(x, y), shift: false, ctrl: false, alt: false });
  return { canvas, renderer, ctx, move };
}

describe("canvas highlight and hovered entity (for panels such as entity linking)", () => {
  it("highlight() outlines an entity's shapes on request and redraws only when the set changes", () => {
    const m = mount();
    const before = m.renderer.overlays;
    m.canvas.highlight(new Set(["e1"]));
    expect([...m.canvas.highlighted]).toEqual(["e1"]);
    expect(m.renderer.overlays).toBe(before + 1);
    m.canvas.highlight(new Set(["e1"]));
    expect(m.renderer.overlays).toBe(before + 1);
    m.canvas.highlight(new Set());
    expect(m.canvas.highlighted.size).toBe(0);
    expect(m.renderer.overlays).toBe(before + 2);
  });

  it("reports the entity under the pointer once per change, null when it leaves the shape", () => {
    const m = mount();
    const view = VIEWS[0];
    if (!view) throw new Error("no view");
    const { entityId } = createEntity(m.ctx, clientOrigin("me"), {
      annotation: { table: "bboxes", row: boxRowFields(view.id, 0.1, 0.2, 0.2, 0.2) },
    });
    const seen: Array<string | null> = [];
    m.canvas.on("hovered", ({ entityId: e }) => seen.push(e));
    // The box spans (0.1..0.3, 0.2..0.4) of the first view; move inside it twice, then outside.
    const inside = [view.width * 0.2, view.height * 0.3] as const;
    m.move(...inside);
    m.move(inside[0] + 2, inside[1] + 2);
    m.move(view.width * 0.8, view.height * 0.9);
    expect(seen).toEqual([entityId, null]);
  });
});

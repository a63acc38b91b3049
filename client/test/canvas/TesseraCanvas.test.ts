import "./pixiInNode.js";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import {
  clientOrigin,
  createEntity,
  deleteRows,
  readRow,
  readRows,
  type DocContext,
  customCell,
} from "@tessera/shared-crdt";
import type { CanvasRenderer } from "../../src/canvas/renderer.js";
import { TesseraCanvas } from "../../src/canvas/TesseraCanvas.js";
import { tileViews } from "../../src/canvas/scene/layout.js";
import { SceneModel } from "../../src/canvas/scene/SceneModel.js";
import type { CanvasEvents, CanvasOptions } from "../../src/canvas/types.js";
import { boxRowFields } from "../../src/tools/shapes.js";
import { ids, imageSchema, PERSON, RECORD, VIEWS } from "../tools/support.js";
import { ManualClock } from "./support.js";

const ME = clientOrigin("me");

/** The renderer port, recording what the controller asks of it (the Pixi side is not under test). */
class StubRenderer implements CanvasRenderer {
  screenW = 1000;
  screenH = 500;
  cursor = "";
  cameraChanges = 0;
  overlays = 0;
  adjustments: number[] = [];
  setCursor(css: string) {
    this.cursor = css;
  }
  invalidate() {}
  onCamera() {
    this.cameraChanges++;
  }
  onOverlay() {
    this.overlays++;
  }
  onPeers() {}
  setAdjustments(b: number, c: number) {
    this.adjustments = [b, c];
  }
  restyleAll() {}
  fps() {
    return 0;
  }
  destroy() {}
}

function mount(extra: Partial<CanvasOptions> = {}) {
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  const schema = imageSchema();
  const options: CanvasOptions = {
    doc,
    schema,
    recordId: RECORD,
    views: VIEWS.map((v) => ({ ...v, logicalName: v.id, src: `/media/${v.id}.png` })),
    awareness,
    origin: ME,
    newId: ids("c"),
    colorOf: () => 0xff0000,
    templates: [PERSON],
    editable: true,
    ...extra,
  };
  const clock = new ManualClock();
  const scene = new SceneModel(doc, tileViews(options.views));
  const canvas = new TesseraCanvas(options, scene, clock);
  const renderer = new StubRenderer();
  canvas.attach(renderer);
  canvas.start();
  canvas.setCamera({ x: 0, y: 0, zoom: 1 }, false);
  const events: Array<{ type: keyof CanvasEvents; payload: unknown }> = [];
  for (const type of ["selection", "created", "viewportChanged", "toolChanged", "refused", "brushRadius"] as const) {
    canvas.on(type, (payload) => events.push({ type, payload }));
  }
  const ctx: DocContext = { doc, schema, recordId: RECORD, newId: ids("x") };
  const mods = { shift: false, ctrl: false, alt: false };
  const pointer = (type: "down" | "move" | "up", x: number, y: number) =>
    canvas.toolEvent(
      type === "down"
        ? { type, p: canvas.toPoint(x, y), button: 0, ...mods }
        : { type, p: canvas.toPoint(x, y), ...mods },
    );
  return { doc, awareness, canvas, renderer, clock, events, ctx, pointer };
}

describe("canvas controller (tools → document, events, awareness)", () => {
  it("drawing a box writes it with the local origin, selects it, reports it and returns to select", () => {
    const m = mount();
    m.canvas.setCategory("car");
    m.canvas.setTool("bbox");
    expect(m.renderer.cursor).toBe("crosshair");
    const origins: unknown[] = [];
    m.doc.on("afterTransaction", (tr) => origins.push(tr.origin));
    m.pointer("down", 100, 100);
    m.pointer("move", 200, 150);
    m.pointer("up", 300, 200);
    const [box] = readRows(m.doc, "bboxes");
    expect((box?.coords ?? []).map((c) => +c.toFixed(6))).toEqual([0.1, 0.2, 0.2, 0.2]);
    expect(customCell(readRow(m.doc, "entities", box?.entity_id ?? ""), "category")).toBe("car");
    expect(origins).toEqual([ME]);
    expect(m.events.map((e) => e.type)).toEqual(["selection", "created", "toolChanged"]);
    expect(m.canvas.getTool()).toBe("select");
    expect(m.canvas.getSelection()).toEqual([{ table: "bboxes", id: box?.id }]);
    expect(m.awareness.getLocalState()).toMatchObject({
      tool: "select",
      selection: [{ table: "bboxes", id: box?.id }],
    });
  });

  it("keys: the tool consumes what it uses (Enter closes a polygon), the rest is left to the workspace", () => {
    const m = mount();
    m.canvas.setTool("polygon");
    m.pointer("down", 100, 100);
    m.pointer("down", 300, 100);
    m.pointer("down", 300, 300);
    expect(m.canvas.key({ key: "Enter", shift: false, ctrl: false, alt: false, type: "down" })).toBe(true);
    expect(readRows(m.doc, "multi_paths")).toHaveLength(1);
    expect(m.canvas.key({ key: "n", shift: false, ctrl: false, alt: false, type: "down" })).toBe(false);
    expect(m.canvas.key({ key: "Escape", shift: false, ctrl: false, alt: false, type: "down" })).toBe(false);
    expect(m.canvas.key({ key: " ", shift: false, ctrl: false, alt: false, type: "down" })).toBe(true);
    expect(m.canvas.panMode).toBe(true);
    expect(m.renderer.cursor).toBe("grab");
    m.canvas.key({ key: " ", shift: false, ctrl: false, alt: false, type: "up" });
    expect(m.canvas.panMode).toBe(false);
  });

  it("a drag moves the shape, announces it in awareness while it lasts, and ends in the document", () => {
    const m = mount();
    m.canvas.setTool("bbox");
    m.pointer("down", 100, 100);
    m.pointer("up", 300, 200);
    const id = readRows(m.doc, "bboxes")[0]?.id ?? "";
    m.pointer("down", 150, 150);
    m.pointer("move", 200, 150);
    expect(m.awareness.getLocalState()?.dragging).toEqual({ table: "bboxes", id });
    m.pointer("move", 250, 150);
    m.clock.advance(40);
    m.pointer("up", 250, 150);
    expect(m.awareness.getLocalState()?.dragging).toBeNull();
    expect(readRow(m.doc, "bboxes", id)?.coords[0]).toBeCloseTo(0.2);
  });

  it("someone else deleting a selected shape drops it from the selection and says so", () => {
    const m = mount();
    m.canvas.setTool("bbox");
    m.pointer("down", 100, 100);
    m.pointer("up", 300, 200);
    const id = readRows(m.doc, "bboxes")[0]?.id ?? "";
    m.events.length = 0;
    deleteRows(m.ctx, clientOrigin("someone"), "bboxes", [id]);
    expect(m.canvas.getSelection()).toEqual([]);
    expect(m.events).toEqual([{ type: "selection", payload: [] }]);
  });

  it("programmatic selection keeps only drawable rows and does not echo a selection event", () => {
    const m = mount();
    m.canvas.select([
      { table: "entities", id: "e1" },
      { table: "bboxes", id: "b1" },
    ]);
    expect(m.canvas.getSelection()).toEqual([{ table: "bboxes", id: "b1" }]);
    expect(m.events).toEqual([]);
    expect(m.awareness.getLocalState()?.selection).toEqual([
      { table: "entities", id: "e1" },
      { table: "bboxes", id: "b1" },
    ]);
  });

  it("viewport: setViewport (follow) is not by the user; panning is; both reach awareness throttled", () => {
    const m = mount();
    m.canvas.setViewport({ viewId: "v1", cx: 0.25, cy: 0.5, zoom: 2 });
    const v = m.canvas.getViewport();
    expect(v.viewId).toBe("v1");
    expect(v.cx).toBeCloseTo(0.25);
    expect(v.zoom).toBe(2);
    m.clock.advance(200);
    m.canvas.pan(10, 0);
    m.clock.advance(200);
    const changes = m.events
      .filter((e) => e.type === "viewportChanged")
      .map((e) => (e.payload as CanvasEvents["viewportChanged"]).byUser);
    expect(changes.at(-1)).toBe(true);
    expect(changes).toContain(false);
    expect(m.awareness.getLocalState()?.viewport?.zoom).toBe(2);
  });

  it("the canvas's own initial fit does not count as a user move (follow mode survives a mount); F does", () => {
    const m = mount();
    m.clock.advance(500);
    m.events.length = 0;
    m.canvas.fitView(false);
    m.clock.advance(200);
    expect(
      m.events
        .filter((e) => e.type === "viewportChanged")
        .map((e) => (e.payload as CanvasEvents["viewportChanged"]).byUser),
    ).toEqual([false]);
    m.canvas.fit();
    m.clock.advance(200);
    expect(
      m.events
        .filter((e) => e.type === "viewportChanged")
        .map((e) => (e.payload as CanvasEvents["viewportChanged"]).byUser),
    ).toEqual([false, true]);
    // The fitted view shows both tiles whole: 1000 + gap + 400 wide in a 1000 px screen.
    expect(m.canvas.camera.zoom).toBeCloseTo((1000 - 32) / 1415);
  });

  it("read-only refuses drawing; editable again allows it", () => {
    const m = mount({ editable: false });
    m.canvas.setTool("bbox");
    m.pointer("down", 100, 100);
    m.pointer("up", 300, 200);
    expect(readRows(m.doc, "bboxes")).toHaveLength(0);
    expect(m.events.find((e) => e.type === "refused")?.payload).toEqual({ reason: "read-only" });
    m.canvas.setEditable(true);
    m.pointer("down", 100, 100);
    m.pointer("up", 300, 200);
    expect(readRows(m.doc, "bboxes")).toHaveLength(1);
  });

  it("brush radius keys report the new radius; image adjustments reach the renderer", () => {
    const m = mount({ brushRadius: 10 });
    m.canvas.setTool("brush");
    m.canvas.key({ key: "]", shift: false, ctrl: false, alt: false, type: "down" });
    expect(m.events.find((e) => e.type === "brushRadius")?.payload).toEqual({ px: 13 });
    m.canvas.setImageAdjustments({ brightness: 1.2, contrast: 0.8 });
    expect(m.renderer.adjustments).toEqual([1.2, 0.8]);
  });

  it("hidden shapes cannot be picked; Alt reveals them", () => {
    const m = mount();
    m.canvas.setTool("bbox");
    m.pointer("down", 100, 100);
    m.pointer("up", 300, 200);
    const box = readRows(m.doc, "bboxes")[0];
    m.canvas.setHidden(new Set([box?.entity_id ?? ""]));
    m.canvas.select([]);
    m.pointer("down", 150, 150);
    m.pointer("up", 150, 150);
    expect(m.canvas.getSelection()).toEqual([]);
    m.canvas.key({ key: "Alt", shift: false, ctrl: false, alt: true, type: "down" });
    m.pointer("down", 150, 150);
    m.pointer("up", 150, 150);
    expect(m.canvas.getSelection()).toEqual([{ table: "bboxes", id: box?.id }]);
  });

  it("boxes drawn in the second view are normalised to it", () => {
    const m = mount();
    m.canvas.setTool("bbox");
    // v2 starts at x = 1015 in world (= screen at zoom 1); 400×400 px.
    m.pointer("down", 1015 + 40, 40);
    m.pointer("up", 1015 + 240, 140);
    const [box] = readRows(m.doc, "bboxes");
    expect(box?.view_id).toBe("v2");
    expect((box?.coords ?? []).map((c) => +c.toFixed(6))).toEqual([0.1, 0.1, 0.5, 0.25]);
    m.canvas.destroy();
  });

  it("boxes the workspace writes appear in the scene and can be selected", () => {
    const m = mount();
    const made = createEntity(m.ctx, clientOrigin("workspace"), {
      annotation: { table: "bboxes", row: boxRowFields("v1", 0.5, 0.5, 0.1, 0.1) },
    });
    m.pointer("down", 520, 270);
    m.pointer("up", 520, 270);
    expect(m.canvas.getSelection()).toEqual([{ table: "bboxes", id: made.annotationId }]);
  });
});

import "../canvas/pixiInNode.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import { Graphics } from "pixi.js";
import { Awareness } from "y-protocols/awareness";
import {
  clientOrigin,
  createEntity,
  datasetSchemaOf,
  parseDatasetInfo,
  readRow,
  type DatasetSchema,
  type DocContext,
} from "@tessera/shared-crdt";
import { TesseraCanvas, type CanvasRenderer } from "../../src/canvas/TesseraCanvas.js";
import { AnnotationLayer } from "../../src/canvas/render/AnnotationLayer.js";
import { drawHandles, outlineRings } from "../../src/kinds/draw.js";
import { tileViews } from "../../src/canvas/scene/layout.js";
import { SceneModel } from "../../src/canvas/scene/SceneModel.js";
import type { CanvasOptions, SelectionRef } from "../../src/canvas/types.js";
import { resolveKey } from "../../src/app/keymap.js";
import { allTools, toolUses } from "../../src/tools/registry.js";
import {
  DuplicateKindError,
  isShapeTable,
  kindLabel,
  kindViews,
  registerKindView,
  shapeOfRow,
} from "../../src/kinds/registry.js";
import { ids, PERSON, RECORD, VIEWS } from "../tools/support.js";
import { ManualClock } from "../canvas/support.js";
import { ellipseKind } from "./ellipses.kind.js";

/**
 * The client half of "annotation kinds with one home": every kind the canvas draws is one module
 * found without a list, and a new kind — here the test-only ellipse of `./ellipses.kind.ts`, its
 * only file — gets hit testing, the Pixi scene, screen-space outlines and handles, its drawing
 * tool, the select tool's move/resize and its object-list label, with no other client file edited.
 */

const ME = clientOrigin("me");
const SEED = clientOrigin("seed");

/** An image dataset whose tracklets carry the ellipse's custom fields. */
function ellipseSchema(): DatasetSchema {
  const plain = (base: string) => ({ base, fields: {} });
  const float = { collection: false, type: "float", required: false, default: 0 };
  return datasetSchemaOf(
    parseDatasetInfo({
      id: "ds",
      name: "ds",
      workspace: "image",
      record: plain("Record"),
      entity: {
        base: "Entity",
        name: "Obj",
        fields: { category: { collection: false, type: "str", required: false, default: "" } },
      },
      bbox: plain("BBox"),
      mask: plain("CompressedRLE"),
      keypoint: plain("KeyPoints"),
      multi_path: plain("MultiPath"),
      tracklet: { base: "Tracklet", name: "EllipseTrack", fields: { cx: float, cy: float, rx: float, ry: float } },
      views: { image: plain("Image") },
    }),
  );
}

class StubRenderer implements CanvasRenderer {
  screenW = 1000;
  screenH = 500;
  cursor = "";
  setCursor(css: string) {
    this.cursor = css;
  }
  invalidate() {}
  onCamera() {}
  onOverlay() {}
  onPeers() {}
  setAdjustments() {}
  restyleAll() {}
  fps() {
    return 0;
  }
  destroy() {}
}

/** The real canvas controller on a real record document, camera at zoom 1 (screen px = v1 image px). */
function mount() {
  const doc = new Y.Doc();
  const schema = ellipseSchema();
  const options: CanvasOptions = {
    doc,
    schema,
    recordId: RECORD,
    views: VIEWS.map((v) => ({ ...v, logicalName: v.id, src: `/media/${v.id}.png` })),
    awareness: new Awareness(doc),
    origin: ME,
    newId: ids("e"),
    colorOf: () => 0xff0000,
    templates: [PERSON],
    editable: true,
  };
  const scene = new SceneModel(doc, tileViews(options.views));
  const canvas = new TesseraCanvas(options, scene, new ManualClock());
  const renderer = new StubRenderer();
  canvas.attach(renderer);
  canvas.start();
  canvas.setCamera({ x: 0, y: 0, zoom: 1 }, false);
  const selections: Array<readonly SelectionRef[]> = [];
  canvas.on("selection", (refs) => selections.push(refs));
  const mods = { shift: false, ctrl: false, alt: false };
  const drag = (x0: number, y0: number, x1: number, y1: number) => {
    canvas.toolEvent({ type: "down", p: canvas.toPoint(x0, y0), button: 0, ...mods });
    canvas.toolEvent({ type: "move", p: canvas.toPoint((x0 + x1) / 2, (y0 + y1) / 2), ...mods });
    canvas.toolEvent({ type: "move", p: canvas.toPoint(x1, y1), ...mods });
    canvas.toolEvent({ type: "up", p: canvas.toPoint(x1, y1), ...mods });
  };
  const ctx: DocContext = { doc, schema, recordId: RECORD, newId: ids("s") };
  return { doc, scene, canvas, renderer, selections, drag, ctx };
}

/** Seeds one ellipse (normalised centre and radii on view v1) as a tracklet row. */
function seedEllipse(ctx: DocContext, cx: number, cy: number, rx: number, ry: number): string {
  const r = createEntity(ctx, SEED, {
    entity: { category: "car" },
    annotation: { table: "tracklets", row: { view_id: "v1", cx, cy, rx, ry } },
  });
  return r.annotationId as string;
}

describe("kind views: one module per kind, found without a list", () => {
  it("discovers every kind module of src/kinds by its file alone", () => {
    // The files themselves (not loaded here), as Vite lists them.
    const tables = Object.keys(import.meta.glob("../../src/kinds/*.kind.ts")).map((f) =>
      f.slice("../../src/kinds/".length, -".kind.ts".length),
    );
    expect(tables).toEqual(expect.arrayContaining(["bboxes", "masks", "keypoints", "multi_paths"]));
    for (const t of tables) expect(kindLabel(t), t).toBeDefined();
    expect(kindViews().map((k) => k.table)).toEqual(["bboxes", "multi_paths", "keypoints", "masks"]);
    expect(allTools().map((t) => t.name)).toEqual([
      "select",
      "bbox",
      "polygon",
      "polyline",
      "keypoints",
      "brush",
      "eraser",
    ]);
  });

  it("shows the options strip's settings for the tools whose kind uses them", () => {
    expect(toolUses("keypoints", "template")).toBe(true);
    expect(toolUses("brush", "brushSize") && toolUses("eraser", "brushSize")).toBe(true);
    for (const t of ["select", "bbox", "polygon", "polyline"] as const)
      expect([toolUses(t, "template"), toolUses(t, "brushSize")]).toEqual([false, false]);
  });

  it("refuses a second kind view for a table that already has one", () => {
    expect(() => registerKindView({ ...ellipseKind, table: "bboxes" })).toThrow(DuplicateKindError);
    expect(() => registerKindView({ ...ellipseKind, shape: "box" })).toThrow(/two geometries for shape kind box/);
    expect(isShapeTable("tracklets")).toBe(false);
  });
});

describe("a test-only ellipse kind, registered at run time", () => {
  let unregister: () => void = () => {};
  beforeEach(() => {
    unregister = registerKindView(ellipseKind);
  });
  afterEach(() => unregister());

  it("brings its tool to the rail, the keyboard and the canvas, which draws a new ellipse", () => {
    expect(allTools().map((t) => t.name)).toContain("ellipse");
    expect(resolveKey({ key: "o", ctrl: false, shift: false, alt: false }, false)).toEqual({
      kind: "tool",
      tool: "ellipse",
    });
    const { doc, scene, canvas, renderer, selections, drag } = mount();
    canvas.setTool("ellipse");
    expect(canvas.getTool()).toBe("ellipse");
    expect(renderer.cursor).toBe("crosshair");
    drag(100, 100, 300, 200);
    const id = [...doc.getMap("tracklets").keys()][0];
    if (id === undefined) throw new Error("no tracklet row was created");
    const row = readRow(doc, "tracklets", id);
    expect(row?.cx).toBeCloseTo(0.2);
    expect(row?.cy).toBeCloseTo(0.3);
    expect(row?.rx).toBeCloseTo(0.1);
    expect(row?.ry).toBeCloseTo(0.1);
    expect(selections.at(-1)).toEqual([{ table: "tracklets", id }]);
    expect(scene.get({ table: "tracklets", id })?.shape.kind).toBe("ellipse");
    expect(kindLabel("tracklets")).toBe("ellipse");
  });

  it("is hit inside the ellipse only, selected, moved and resized by the select tool", () => {
    const { doc, scene, canvas, selections, drag, ctx } = mount();
    const id = seedEllipse(ctx, 0.2, 0.3, 0.1, 0.1);
    // Its bounding box spans (100, 100)–(300, 200) on screen; (104, 104) is in the box, off the ellipse.
    expect(scene.hitTest(200, 150, 1)?.ref).toEqual({ table: "tracklets", id });
    expect(scene.hitTest(104, 104, 1)).toBeNull();
    canvas.toolEvent({ type: "down", p: canvas.toPoint(200, 150), button: 0, shift: false, ctrl: false, alt: false });
    canvas.toolEvent({ type: "up", p: canvas.toPoint(200, 150), shift: false, ctrl: false, alt: false });
    expect(selections.at(-1)).toEqual([{ table: "tracklets", id }]);
    // Move: drag the body 50 px right.
    drag(200, 150, 250, 150);
    expect(readRow(doc, "tracklets", id)?.cx).toBeCloseTo(0.25);
    // Resize: drag the east handle (now at x = 350) to x = 450; the west side stays at 150.
    drag(350, 150, 450, 150);
    const row = readRow(doc, "tracklets", id);
    expect(row?.rx).toBeCloseTo(0.15);
    expect(row?.cx).toBeCloseTo(0.3);
    expect(row?.cy).toBeCloseTo(0.3);
  });

  it("renders as a retained Pixi view, with screen-space outline and resize handles", () => {
    const { doc, scene, ctx } = mount();
    const layer = new AnnotationLayer({ scene, colorOf: () => 0xff0000, templates: [], fill: false, now: () => 0 });
    scene.addSink(layer);
    const id = seedEllipse(ctx, 0.2, 0.3, 0.1, 0.1);
    layer.build(1e9);
    const view = layer.view(`tracklets/${id}`);
    expect(view?.constructor.name).toBe("EllipseView");
    const item = scene.get({ table: "tracklets", id });
    if (!item) throw new Error("ellipse not in the scene");
    expect(layer.isShown(item)).toBe(true);
    const b = item.tile;
    const want = [b.x + 0.1 * b.width, b.y + 0.2 * b.height, b.x + 0.3 * b.width, b.y + 0.4 * b.height];
    [item.minX, item.minY, item.maxX, item.maxY].forEach((v, i) => expect(v).toBeCloseTo(want[i] as number));
    const xf = { cam: { x: 10, y: 20, zoom: 2 }, tile: item.tile };
    const [ring] = outlineRings(xf, item.shape);
    expect(ring?.closed).toBe(true);
    const pts = ring?.points ?? [];
    expect(pts.length).toBe(64);
    for (let i = 0; i < pts.length; i += 2) {
      // Back to image px, then onto the unit circle.
      const ux = (((pts[i] as number) - 10) / 2 - 200) / 100;
      const uy = (((pts[i + 1] as number) - 20) / 2 - 150) / 50;
      expect(ux * ux + uy * uy).toBeCloseTo(1);
    }
    const g = new Graphics();
    drawHandles(g, xf, item.shape, 0xff0000);
    const hb = g.getLocalBounds();
    // Eight handles around the bounding box (screen 210..610 × 220..420), centred on its edges.
    expect(hb.minX).toBeLessThan(210);
    expect(hb.maxX).toBeGreaterThan(610);
    expect(hb.minY).toBeLessThan(220);
    expect(hb.maxY).toBeGreaterThan(420);
    layer.dispose();
    void doc;
  });
});

describe("a row of a kind without a view", () => {
  it("is not drawn, logs once and never crashes the scene, the layer or the overlays", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const unregister = registerKindView(ellipseKind);
      const { scene, ctx, doc } = mount();
      const layer = new AnnotationLayer({ scene, colorOf: () => 0xff0000, templates: [], fill: false, now: () => 0 });
      scene.addSink(layer);
      seedEllipse(ctx, 0.2, 0.3, 0.1, 0.1);
      seedEllipse(ctx, 0.6, 0.3, 0.1, 0.1);
      const item = scene.get({ table: "tracklets", id: [...doc.getMap("tracklets").keys()][0] ?? "" });
      if (!item) throw new Error("ellipse not in the scene");
      // The kind goes away before the layer builds its views (a client without that kind).
      unregister();
      expect(layer.build(1e9)).toBe(0);
      expect(layer.count).toBe(0);
      const xf = { cam: { x: 0, y: 0, zoom: 1 }, tile: item.tile };
      expect(outlineRings(xf, item.shape)).toEqual([]);
      drawHandles(new Graphics(), xf, item.shape, 0);
      expect(
        shapeOfRow("tracklets", { view_id: "v1", cx: 0.5, cy: 0.5, rx: 0.1, ry: 0.1 }, () => undefined),
      ).toBeNull();
      const unknown = warn.mock.calls.filter((c) => String(c[0]).includes("no kind view"));
      expect(unknown.map((c) => String(c[0]))).toEqual([
        "canvas: no kind view for shape ellipse; not drawn",
        "canvas: no kind view for table tracklets; not drawn",
      ]);
      layer.dispose();
    } finally {
      warn.mockRestore();
    }
  });
});

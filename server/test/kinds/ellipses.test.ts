// The test-only kind registers itself on import: its data half must come before every import of @tessera/shared-crdt.
import { ellipses } from "../../../shared-crdt/test/kinds/ellipses.kind.js";
import "../../../client/test/canvas/pixiInNode.js";
import { ELLIPSES, ellipseKind } from "../../../client/test/kinds/ellipses.kind.js";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Graphics } from "pixi.js";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Library } from "@tessera/dataset";
import { exportDataset, importDataset } from "@tessera/dataset/io";
import {
  addRow,
  ALL_SLOTS,
  ANNOTATION_KINDS,
  clientOrigin,
  COMPONENT_TABLES,
  createEntity,
  datasetSchemaOf,
  deleteRows,
  ENTITY_ANNOTATION_TABLES,
  isEntityAttached,
  kindOf,
  parseDatasetInfo,
  readRowCells,
  readRows,
  rowOfMap,
  tableMap,
  withCustom,
  referencesOf,
  SLOTS,
  TABLE_NAMES,
  TABLES,
  tableByResource,
  ValidationError,
  type AnnotationInput,
  type DatasetSchema,
  type DocContext,
  type Row,
} from "@tessera/shared-crdt";
import { KindRegistryError, registerAnnotationKind } from "@tessera/shared-crdt/kinds";
import type { CanvasRenderer } from "../../../client/src/canvas/renderer.js";
import { TesseraCanvas } from "../../../client/src/canvas/TesseraCanvas.js";
import { AnnotationLayer } from "../../../client/src/canvas/render/AnnotationLayer.js";
import { tileViews } from "../../../client/src/canvas/scene/layout.js";
import { SceneModel } from "../../../client/src/canvas/scene/SceneModel.js";
import type { CanvasOptions, SelectionRef } from "../../../client/src/canvas/types.js";
import { resolveKey } from "../../../client/src/app/keymap.js";
import { drawHandles, outlineRings } from "../../../client/src/kinds/draw.js";
import {
  DuplicateKindError,
  isShapeTable,
  kindLabel,
  registerKindView,
  shapeOfRow,
} from "../../../client/src/kinds/registry.js";
import { allTools } from "../../../client/src/tools/registry.js";
import { ManualClock } from "../../../client/test/canvas/support.js";
import { ids, PERSON, RECORD, VIEWS } from "../../../client/test/tools/support.js";
import type { RunningServer } from "../../src/index.js";
import { PERMISSIONS } from "../../src/auth/permissions.js";
import { call, start } from "../http/harness.js";
import { png } from "../http/testLibrary.js";

/**
 * "Add a kind", proved on both halves at once (docs/ARCHITECTURE.md §9, the worked example): the
 * test-only `ellipses` kind is its data declaration (`shared-crdt/test/kinds/ellipses.kind.ts`),
 * its client view (`client/test/kinds/ellipses.kind.ts`) and this file — three files, no line of
 * shared-crdt, dataset, server or client source naming it. The data half makes it a table, a
 * record-document map, a reference source, an `info.json` slot, a REST resource with permissions
 * and a JSONL annotation kind; the client half puts its tool on the real canvas, which draws rows
 * of that table through the shared mutators; those rows then go through LanceDB, REST and JSONL v2.
 */
const DS_ID = "ellipse_ds";
const ME = clientOrigin("me");
const SEED = clientOrigin("seed");

let root = "";
let dataDir = "";
let server: RunningServer | undefined;
/** What the canvas drew (the entity and its ellipse), read back from the record document. */
let drawn: { entities: Row[]; ellipses: Row[] } = { entities: [], ellipses: [] };

const str = () => ({ collection: false, type: "str", required: false, default: "" });

const INFO = {
  id: DS_ID,
  name: "Ellipses",
  description: "",
  size: "Unknown",
  preview: "",
  workspace: "image",
  storage_mode: "embedded",
  record: { base: "Record", fields: {} },
  entity: { base: "Entity", name: "Obj", fields: { category: str() } },
  ellipse: { base: "Ellipse", fields: {} },
  views: { image: { base: "Image", fields: {} } },
};

const schemaOf = (): DatasetSchema => datasetSchemaOf(parseDatasetInfo(INFO));

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
  const schema = schemaOf();
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

/**
 * The ellipses of a document as cells: a kind registered at run time has no row type in the static
 * map (`TableRow`), so its rows are read as cells (docs/ARCHITECTURE.md §9).
 */
function ellipseCells(doc: Y.Doc): Row[] {
  return [...tableMap(doc, ELLIPSES).values()].flatMap((m) => (m instanceof Y.Map ? [rowOfMap(m)] : []));
}

/** Seeds one ellipse (normalised centre and radii on view v1) with its entity, through the shared mutators. */
function seedEllipse(ctx: DocContext, cx: number, cy: number, rx: number, ry: number): string {
  const r = createEntity(ctx, SEED, {
    entity: withCustom({}, { category: "car" }),
    // A registered table is typed as a built-in one (registeredTableName); its own cells go through withCustom.
    annotation: { table: ELLIPSES, row: withCustom({ view_id: "v1" }, { cx, cy, rx, ry }) } as AnnotationInput,
  });
  return r.annotationId as string;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-ellipses-"));
  dataDir = path.join(root, "data");
});
afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

describe("the data half: a kind added by one declaration module", () => {
  it("is in the registry and every table derived from it; registering after the first read throws", () => {
    expect(ANNOTATION_KINDS.map((k) => k.id)).toContain("ellipses");
    expect(kindOf("ellipses")).toBe(ellipses);
    expect(TABLE_NAMES).toContain("ellipses");
    expect(TABLE_NAMES.at(-1)).toBe("embeddings");
    expect(COMPONENT_TABLES).toContain("ellipses");
    expect(TABLES[ELLIPSES]).toMatchObject({ baseClass: "Ellipse", group: "annotations", slot: "ellipse" });
    expect(tableByResource("ellipses")?.name).toBe("ellipses");
    expect(ALL_SLOTS).toContain("ellipse");
    expect(SLOTS).not.toContain("ellipse");
    expect(referencesOf(ELLIPSES).map((r) => `${r.field}->${r.target.join("|")}:${r.onDelete}`)).toEqual([
      "record_id->records:cascade",
      "view_id->images|sequence_frames|videos|texts|pdfs|point_clouds:cascade",
      "frame_id->images|sequence_frames|videos|texts|pdfs|point_clouds:cascade",
      "entity_id->entities:cascade",
      "tracklet_id->tracklets:cascade",
      "entity_dynamic_state_id->entity_dynamic_states:clear",
    ]);
    expect(PERMISSIONS).toMatchObject({
      list_ellipses: { access: "dataset", min: "viewer" },
      get_ellipse: { access: "dataset", min: "viewer" },
      create_ellipse: { access: "dataset", min: "annotator" },
      delete_ellipse: { access: "dataset", min: "annotator" },
    });
    expect(() => registerAnnotationKind({ ...ellipses, id: "late_ellipses", table: "late_ellipses" })).toThrow(
      KindRegistryError,
    );
  });

  it("says whether its rows hang off one entity (entityAttached), which the client's entity list reads", () => {
    expect(isEntityAttached(ellipses)).toBe(true);
    const messages = kindOf("messages");
    expect(messages && isEntityAttached(messages)).toBe(false);
    expect(ENTITY_ANNOTATION_TABLES).toContain("ellipses");
    expect(ENTITY_ANNOTATION_TABLES).not.toContain("messages");
  });

  it("rows are made by the document mutators, validated, and cascade with their entity", () => {
    let n = 0;
    const c: DocContext = { doc: new Y.Doc(), schema: schemaOf(), recordId: "r0", newId: () => `el${++n}` };
    const { entityId } = createEntity(c, ME, { entity: {} });
    const id = addRow(
      c,
      ME,
      ELLIPSES,
      withCustom({ entity_id: entityId, view_id: "img-0" }, { cx: 0.5, cy: 0.5, rx: 0.1, ry: 0.2 }),
    );
    expect(readRows(c.doc, ELLIPSES)).toEqual([
      expect.objectContaining({ id, record_id: "r0", entity_id: entityId, cx: 0.5, cy: 0.5, rx: 0.1, ry: 0.2 }),
    ]);
    // Column types, then the kind's own value rule, in the shared validator.
    expect(() => addRow(c, ME, ELLIPSES, withCustom({ entity_id: entityId }, { cx: "middle" }))).toThrow(
      ValidationError,
    );
    expect(() => addRow(c, ME, ELLIPSES, withCustom({ entity_id: entityId }, { rx: 0, ry: 0.1 }))).toThrow(
      /rx.*must be positive/,
    );
    // The derived reference table: deleting the entity takes the ellipse.
    const removed = deleteRows(c, ME, "entities", [entityId]);
    expect(removed[ELLIPSES]).toEqual([id]);
    expect(readRows(c.doc, ELLIPSES)).toEqual([]);
  });
});

describe("the client half: the same kind on the real canvas", () => {
  let unregister: () => void = () => {};
  beforeEach(() => {
    unregister = registerKindView(ellipseKind);
  });
  afterEach(() => unregister());

  it("is a shape table while its view is registered; a second view for a built-in table or shape kind is refused", () => {
    expect(isShapeTable(ELLIPSES)).toBe(true);
    unregister();
    expect(isShapeTable(ELLIPSES)).toBe(false);
    expect(() => registerKindView({ ...ellipseKind, table: "bboxes" })).toThrow(DuplicateKindError);
    expect(() => registerKindView({ ...ellipseKind, shape: "box" })).toThrow(/two geometries for shape kind box/);
    expect(isShapeTable(ELLIPSES)).toBe(false);
  });

  it("brings its tool to the rail and key O; drawing one makes a row of its own table through the shared mutators", () => {
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
    const [row, ...more] = ellipseCells(doc);
    if (!row) throw new Error("no ellipse row was created");
    expect(more).toEqual([]);
    expect(row).toMatchObject({ record_id: RECORD, view_id: "v1" });
    expect(row.cx).toBeCloseTo(0.2);
    expect(row.cy).toBeCloseTo(0.3);
    expect(row.rx).toBeCloseTo(0.1);
    expect(row.ry).toBeCloseTo(0.1);
    // Its entity was made with it, and nothing went to another table.
    const entities = readRows(doc, "entities");
    expect(entities.map((e) => e.id)).toEqual([row.entity_id]);
    expect(readRows(doc, "tracklets")).toEqual([]);
    const id = String(row.id);
    expect(selections.at(-1)).toEqual([{ table: ELLIPSES, id }]);
    expect(scene.get({ table: ELLIPSES, id })?.shape.kind).toBe("ellipse");
    expect(kindLabel(ELLIPSES)).toBe("ellipse");
    drawn = { entities, ellipses: [row] };
  });

  it("is hit inside the ellipse only, selected, moved and resized by the select tool", () => {
    const { doc, scene, canvas, selections, drag, ctx } = mount();
    const id = seedEllipse(ctx, 0.2, 0.3, 0.1, 0.1);
    // Its bounding box spans (100, 100)–(300, 200) on screen; (104, 104) is in the box, off the ellipse.
    expect(scene.hitTest(200, 150, 1)?.ref).toEqual({ table: ELLIPSES, id });
    expect(scene.hitTest(104, 104, 1)).toBeNull();
    canvas.toolEvent({ type: "down", p: canvas.toPoint(200, 150), button: 0, shift: false, ctrl: false, alt: false });
    canvas.toolEvent({ type: "up", p: canvas.toPoint(200, 150), shift: false, ctrl: false, alt: false });
    expect(selections.at(-1)).toEqual([{ table: ELLIPSES, id }]);
    // Move: drag the body 50 px right.
    drag(200, 150, 250, 150);
    expect(readRowCells(doc, ELLIPSES, id)?.cx).toBeCloseTo(0.25);
    // Resize: drag the east handle (now at x = 350) to x = 450; the west side stays at 150.
    drag(350, 150, 450, 150);
    const row = readRowCells(doc, ELLIPSES, id);
    expect(row?.rx).toBeCloseTo(0.15);
    expect(row?.cx).toBeCloseTo(0.3);
    expect(row?.cy).toBeCloseTo(0.3);
  });

  it("renders as a retained Pixi view, with screen-space outline and resize handles", () => {
    const { scene, ctx } = mount();
    const layer = new AnnotationLayer({ scene, colorOf: () => 0xff0000, templates: [], fill: false, now: () => 0 });
    scene.addSink(layer);
    const id = seedEllipse(ctx, 0.2, 0.3, 0.1, 0.1);
    layer.build(1e9);
    expect(layer.view(`${ELLIPSES}/${id}`)?.constructor.name).toBe("EllipseView");
    const item = scene.get({ table: ELLIPSES, id });
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
  });
});

describe("both halves on the same rows", () => {
  it("what the canvas drew is stored in LanceDB, served over REST and /openapi.json, exported and re-imported through JSONL v2", async () => {
    const [row] = drawn.ellipses;
    if (!row) throw new Error("the canvas test drew nothing");
    const library = new Library(dataDir, { now: () => new Date("2026-01-02T03:04:05.000Z") });
    await library.init();
    const ds = await library.create("ellipse_folder", INFO);
    await ds.addRecords({
      records: [{ id: RECORD, split: "train" }],
      images: [
        {
          id: "v1",
          record_id: RECORD,
          logical_name: "image",
          raw_bytes: await png(10, 5, [1, 2, 3]),
          width: 10,
          height: 5,
          format: "PNG",
        },
      ],
      entities: drawn.entities,
      [ELLIPSES]: drawn.ellipses,
    });
    const geometry = { cx: row.cx, cy: row.cy, rx: row.rx, ry: row.ry };
    expect((await ds.query(ELLIPSES)).items).toEqual([
      expect.objectContaining({ id: row.id, entity_id: row.entity_id, ...geometry }),
    ]);

    server = await start(dataDir);
    const base = `${server.url}/datasets/${DS_ID}/ellipses`;
    const list = await call<{ items: Row[]; total: number }>(`${base}?record_id=${RECORD}`);
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    expect(list.body.items[0]).toMatchObject({ id: row.id, ...geometry });
    const one = await call<Row>(`${base}/${String(row.id)}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ entity_id: row.entity_id, view_id: "v1", ...geometry });

    // The OpenAPI document lists its routes and its component schemas, from the same registry.
    const doc = await call<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>(
      `${server.url}/openapi.json`,
    );
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/datasets/{dataset_id}/ellipses", "/datasets/{dataset_id}/ellipses/{id}"]),
    );
    expect(doc.body.components.schemas).toHaveProperty("EllipseResponse");

    const dest = path.join(root, "export");
    await exportDataset({ dataDir, dataset: DS_ID, dest });
    const lines = (await readFile(path.join(dest, "train", "metadata.jsonl"), "utf8")).trim().split("\n");
    const line = JSON.parse(lines[1] ?? "{}") as { entities?: Array<{ annotations: Array<Record<string, unknown>> }> };
    expect(line.entities?.[0]?.annotations).toEqual([
      expect.objectContaining({ kind: "ellipse", view: "image", ...geometry }),
    ]);
    const again = await importDataset({ dataDir: path.join(root, "second"), source: dest });
    expect(again.tables[ELLIPSES]).toBe(1);
    const reimported = await new Library(path.join(root, "second")).open(again.datasetId);
    expect((await reimported.query(ELLIPSES)).items).toEqual([
      expect.objectContaining({ id: row.id, entity_id: row.entity_id, ...geometry }),
    ]);
  });
});

describe("a row of a kind the client has no view for", () => {
  it("is not drawn, logs once and never crashes the scene, the layer or the overlays", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const unregister = registerKindView(ellipseKind);
      const { scene, ctx } = mount();
      const layer = new AnnotationLayer({ scene, colorOf: () => 0xff0000, templates: [], fill: false, now: () => 0 });
      scene.addSink(layer);
      const id = seedEllipse(ctx, 0.2, 0.3, 0.1, 0.1);
      seedEllipse(ctx, 0.6, 0.3, 0.1, 0.1);
      const item = scene.get({ table: ELLIPSES, id });
      if (!item) throw new Error("ellipse not in the scene");
      // The kind's view goes away before the layer builds its views (a client without that kind).
      unregister();
      expect(layer.build(1e9)).toBe(0);
      expect(layer.count).toBe(0);
      const xf = { cam: { x: 0, y: 0, zoom: 1 }, tile: item.tile };
      expect(outlineRings(xf, item.shape)).toEqual([]);
      drawHandles(new Graphics(), xf, item.shape, 0);
      expect(shapeOfRow(ELLIPSES, { view_id: "v1", cx: 0.5, cy: 0.5, rx: 0.1, ry: 0.1 }, () => undefined)).toBeNull();
      const unknown = warn.mock.calls.filter((c) => String(c[0]).includes("no kind view"));
      expect(unknown.map((c) => String(c[0]))).toEqual([
        "canvas: no kind view for shape ellipse; not drawn",
        "canvas: no kind view for table ellipses; not drawn",
      ]);
      layer.dispose();
    } finally {
      warn.mockRestore();
    }
  });
});

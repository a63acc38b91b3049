import "./pixiInNode.js";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  clientOrigin,
  createEntity,
  deleteRows,
  encodeMask,
  observeRecordChanges,
  relabel,
  updateRow,
  type DocContext,
  type Row,
  withCustom,
} from "@tessera/shared-crdt";
import { tileViews } from "../../src/canvas/scene/layout.js";
import { SceneModel } from "../../src/canvas/scene/SceneModel.js";
import { boxRowFields } from "../../src/tools/shapes.js";
import type { ShapeTable } from "../../src/tools/types.js";
import { ids, imageSchema, RECORD, VIEWS } from "../tools/support.js";
import { LogSink } from "./support.js";

const O = clientOrigin("t");

function setup() {
  const doc = new Y.Doc();
  const ctx: DocContext = { doc, schema: imageSchema(), recordId: RECORD, newId: ids("s") };
  const add = (table: ShapeTable, row: Row, entity: Row = { category: "car" }) => {
    const r = createEntity(ctx, O, { entity, annotation: { table, row } });
    return { id: r.annotationId as string, entityId: r.entityId };
  };
  return { doc, ctx, add };
}

function live(s: ReturnType<typeof setup>) {
  const scene = new SceneModel(s.doc, tileViews(VIEWS));
  const sink = new LogSink();
  scene.addSink(sink);
  scene.load();
  observeRecordChanges(s.doc, (ch) => scene.apply(ch));
  return { scene, sink };
}

describe("scene model: document → scene diffing", () => {
  it("builds one item per drawable row of the shown views once", () => {
    const s = setup();
    const a = s.add("bboxes", boxRowFields("v1", 0.1, 0.1, 0.2, 0.2));
    const b = s.add("multi_paths", {
      view_id: "v2",
      coords: [0.1, 0.1, 0.5, 0.1, 0.3, 0.5],
      num_points: [3],
      is_closed: true,
    });
    s.add("bboxes", boxRowFields("elsewhere", 0.1, 0.1, 0.2, 0.2));
    const { scene, sink } = live(s);
    expect(sink.take().sort()).toEqual([`create bboxes/${a.id}`, `create multi_paths/${b.id}`].sort());
    expect(scene.size).toBe(2);
    const item = scene.get({ table: "multi_paths", id: b.id });
    // View v2 sits right of v1 (1000 px + gap) in world space.
    expect(item?.minX).toBeCloseTo(1015 + 40);
  });

  it("rows added, updated and removed become create, update and destroy calls — nothing else", () => {
    const s = setup();
    const { scene, sink } = live(s);
    const a = s.add("bboxes", boxRowFields("v1", 0.1, 0.1, 0.2, 0.2));
    expect(sink.take()).toEqual([`create bboxes/${a.id}`]);
    updateRow(s.ctx, O, "bboxes", a.id, { coords: [0.2, 0.1, 0.2, 0.2] });
    expect(sink.take()).toEqual([`update bboxes/${a.id} geometry`]);
    expect(scene.get({ table: "bboxes", id: a.id })?.minX).toBeCloseTo(200);
    updateRow(s.ctx, O, "bboxes", a.id, { source_name: "someone" });
    expect(sink.take()).toEqual([]);
    deleteRows(s.ctx, O, "bboxes", [a.id]);
    expect(sink.take()).toEqual([`destroy bboxes/${a.id}`]);
    expect(scene.size).toBe(0);
  });

  it("an entity relabel restyles all its shapes; deleting the entity destroys them (cascade)", () => {
    const s = setup();
    const a = s.add("bboxes", boxRowFields("v1", 0.1, 0.1, 0.2, 0.2));
    const { sink } = live(s);
    sink.take();
    relabel(s.ctx, O, a.entityId, "bus");
    expect(sink.take()).toEqual([`update bboxes/${a.id} style`]);
    deleteRows(s.ctx, O, "entities", [a.entityId]);
    expect(sink.take()).toEqual([`destroy bboxes/${a.id}`]);
  });

  it("moving a row to a view not shown destroys its item; moving it back creates it", () => {
    const s = setup();
    const a = s.add("bboxes", boxRowFields("v1", 0.1, 0.1, 0.2, 0.2));
    const { sink } = live(s);
    sink.take();
    updateRow(s.ctx, O, "bboxes", a.id, { view_id: "other" });
    expect(sink.take()).toEqual([`destroy bboxes/${a.id}`]);
    updateRow(s.ctx, O, "bboxes", a.id, { view_id: "v2" });
    expect(sink.take()).toEqual([`create bboxes/${a.id}`]);
  });

  it("changing a row's entity restyles it", () => {
    const s = setup();
    const a = s.add("bboxes", boxRowFields("v1", 0.1, 0.1, 0.2, 0.2));
    const other = createEntity(s.ctx, O, { entity: withCustom({}, { category: "bus" }) });
    const { scene, sink } = live(s);
    sink.take();
    updateRow(s.ctx, O, "bboxes", a.id, { entity_id: other.entityId });
    expect(sink.take()).toEqual([`update bboxes/${a.id} style`]);
    expect(scene.entityItems(other.entityId).size).toBe(1);
    expect(scene.entityItems(a.entityId).size).toBe(0);
  });

  it("hide, lock and Alt-reveal restyle exactly the entity's shapes", () => {
    const s = setup();
    const a = s.add("bboxes", boxRowFields("v1", 0.1, 0.1, 0.2, 0.2));
    const b = s.add("bboxes", boxRowFields("v1", 0.5, 0.5, 0.2, 0.2));
    const { scene, sink } = live(s);
    sink.take();
    scene.setHidden(new Set([a.entityId]));
    expect(sink.take()).toEqual([`update bboxes/${a.id} style`]);
    const item = scene.get({ table: "bboxes", id: a.id });
    expect(item && scene.isHidden(item)).toBe(true);
    scene.setRevealHidden(true);
    expect(item && scene.isHidden(item)).toBe(false);
    expect(sink.take()).toEqual([`update bboxes/${a.id} style`]);
    scene.setRevealHidden(false);
    sink.take();
    scene.setLocked(new Set([b.entityId]));
    expect(sink.take()).toEqual([`update bboxes/${b.id} style`]);
    expect(scene.isLocked({ table: "bboxes", id: b.id })).toBe(true);
    scene.setHidden(new Set());
    expect(sink.take()).toEqual([`update bboxes/${a.id} style`]);
  });

  it("ten thousand rows load once and later single edits touch one item", () => {
    const s = setup();
    s.doc.transact(() => {
      for (let i = 0; i < 10_000; i++)
        s.add("bboxes", boxRowFields("v1", (i % 100) / 100, Math.floor(i / 100) / 100, 0.005, 0.005));
    }, O);
    const { scene, sink } = live(s);
    expect(sink.take()).toHaveLength(10_000);
    const first = scene.all().next().value;
    if (!first) throw new Error("empty scene");
    updateRow(s.ctx, O, "bboxes", first.ref.id, { coords: [0.5, 0.5, 0.01, 0.01] });
    expect(sink.take()).toEqual([`update ${first.key} geometry`]);
  });
});

describe("scene model: spatial queries", () => {
  it("culling queries return exactly the items intersecting the rectangle, following moves", () => {
    const s = setup();
    const a = s.add("bboxes", boxRowFields("v1", 0.1, 0.1, 0.1, 0.1));
    const b = s.add("bboxes", boxRowFields("v1", 0.7, 0.7, 0.1, 0.1));
    const { scene } = live(s);
    const out: number[] = [];
    const keys = () => out.map((slot) => scene.bySlotIndex(slot)?.ref.id).sort();
    scene.query(0, 0, 300, 200, out);
    expect(keys()).toEqual([a.id]);
    scene.query(0, 0, 1000, 500, out);
    expect(keys()).toEqual([a.id, b.id].sort());
    updateRow(s.ctx, O, "bboxes", b.id, { coords: [0.15, 0.1, 0.1, 0.1] });
    scene.query(0, 0, 300, 200, out);
    expect(keys()).toEqual([a.id, b.id].sort());
    scene.query(600, 300, 1000, 500, out);
    expect(keys()).toEqual([]);
  });

  it("hit testing: smallest containing shape wins; polygons by their interior; polylines near the line; masks by pixel", () => {
    const s = setup();
    const big = s.add("bboxes", boxRowFields("v1", 0.0, 0.0, 0.9, 0.9));
    const small = s.add("bboxes", boxRowFields("v1", 0.1, 0.1, 0.1, 0.1));
    const tri = s.add("multi_paths", {
      view_id: "v1",
      coords: [0.5, 0.1, 0.8, 0.1, 0.8, 0.4],
      num_points: [3],
      is_closed: true,
    });
    const line = s.add("multi_paths", {
      view_id: "v1",
      coords: [0.1, 0.6, 0.4, 0.6],
      num_points: [2],
      is_closed: false,
    });
    const bits = new Uint8Array(500 * 1000);
    for (let y = 400; y < 450; y++) for (let x = 600; x < 650; x++) bits[y * 1000 + x] = 1;
    const rle = encodeMask(bits, 500, 1000);
    const mask = s.add("masks", { view_id: "v1", size: rle.size, counts: rle.counts });
    const { scene } = live(s);
    expect(scene.hitTest(150, 75, 3)?.ref.id).toBe(small.id);
    expect(scene.hitTest(750, 100, 3)?.ref.id).toBe(tri.id);
    // Inside the triangle's bounds but outside the triangle: the big box.
    expect(scene.hitTest(550, 180, 1)?.ref.id).toBe(big.id);
    expect(scene.hitTest(250, 302, 4)?.ref.id).toBe(line.id);
    expect(scene.hitTest(620, 420, 1)?.ref.id).toBe(mask.id);
    expect(scene.hitTest(990, 490, 1)).toBeNull();
  });
});

import "./pixiInNode.js";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { checkDoc, clientOrigin, readRow, readRows, tableMap, type Row } from "@tessera/shared-crdt";
import { EffectApplier } from "../../src/canvas/EffectApplier.js";
import { createUndo } from "./undo.js";
import { boxRowFields } from "../../src/tools/shapes.js";
import { ManualClock, RecordingTarget } from "./support.js";
import { ids, imageSchema, RECORD } from "../tools/support.js";

const ORIGIN = clientOrigin("me");

function setup(opts: { editable?: boolean; undo?: boolean } = {}) {
  const doc = new Y.Doc();
  const schema = imageSchema();
  const clock = new ManualClock();
  const target = new RecordingTarget();
  const undo = opts.undo ? createUndo(doc, ORIGIN) : undefined;
  let editable = opts.editable ?? true;
  const applier = new EffectApplier(
    {
      doc,
      schema,
      recordId: RECORD,
      newId: ids("r"),
      origin: ORIGIN,
      clock,
      editable: () => editable,
      entityFields: () => ({ category: "car" }),
      ...(undo ? { undoManager: undo } : {}),
    },
    target,
  );
  return { doc, schema, clock, target, applier, undo, setEditable: (e: boolean) => (editable = e) };
}

function createBox(s: ReturnType<typeof setup>, coords = [0.1, 0.1, 0.2, 0.2]): { id: string; entityId: string } {
  s.applier.apply([
    { type: "create", table: "bboxes", row: boxRowFields("v1", coords[0]!, coords[1]!, coords[2]!, coords[3]!) },
  ]);
  const [, id, entityId] = s.target.of("created").at(-1) as [string, string, string];
  return { id, entityId };
}

describe("effect applier", () => {
  it("create writes a valid entity (with the current category) and annotation, selects it and reports it", () => {
    const s = setup();
    const { id, entityId } = createBox(s);
    expect(checkDoc(s.doc, s.schema, RECORD)).toEqual([]);
    expect(readRow(s.doc, "entities", entityId)).toMatchObject({ category: "car", record_id: RECORD });
    expect(readRow(s.doc, "bboxes", id)).toMatchObject({
      entity_id: entityId,
      view_id: "v1",
      coords: [0.1, 0.1, 0.2, 0.2],
      confidence: 1,
      source_type: "human",
      record_id: RECORD,
    });
    expect(s.target.of("select").at(-1)).toEqual([[{ table: "bboxes", id }]]);
  });

  it("every tool's row shape is accepted by the schema (polygon, polyline, keypoints, mask)", () => {
    const s = setup();
    s.applier.apply([
      {
        type: "create",
        table: "multi_paths",
        row: {
          view_id: "v1",
          coords: [0.1, 0.1, 0.5, 0.1, 0.3, 0.5],
          num_points: [3],
          is_closed: true,
          source_type: "human",
        },
      },
      {
        type: "create",
        table: "multi_paths",
        row: { view_id: "v1", coords: [0.1, 0.1, 0.5, 0.1], num_points: [2], is_closed: false, source_type: "human" },
      },
      {
        type: "create",
        table: "keypoints",
        row: {
          view_id: "v1",
          template_id: "t",
          coords: [0.1, 0.1, 0.2, 0.2],
          states: ["visible", "hidden"],
          source_type: "human",
        },
      },
      { type: "create", table: "masks", row: { view_id: "v1", size: [2, 2], counts: "013", source_type: "human" } },
    ]);
    expect(s.target.of("refused")).toEqual([]);
    expect(s.target.of("created")).toHaveLength(4);
    expect(checkDoc(s.doc, s.schema, RECORD)).toEqual([]);
  });

  it("an invalid edit is refused with a reason and leaves the document untouched", () => {
    const s = setup();
    const { id } = createBox(s);
    s.applier.apply([{ type: "update", table: "bboxes", id, patch: { coords: [0.1, 0.1, -3, 0.2] } }]);
    expect(s.target.of("refused")).toHaveLength(1);
    expect(readRow(s.doc, "bboxes", id)?.coords).toEqual([0.1, 0.1, 0.2, 0.2]);
  });

  it("read-only refuses document effects but still forwards view effects", () => {
    const s = setup({ editable: false });
    s.applier.apply([
      { type: "create", table: "bboxes", row: boxRowFields("v1", 0.1, 0.1, 0.1, 0.1) },
      { type: "pan", dx: 3, dy: 4 },
    ]);
    expect(readRows(s.doc, "bboxes")).toEqual([]);
    expect(s.target.of("refused")).toEqual([["read-only"]]);
    expect(s.target.of("pan")).toEqual([[3, 4]]);
  });

  it("moveVertex moves one vertex through the shared mutator", () => {
    const s = setup();
    s.applier.apply([
      {
        type: "create",
        table: "multi_paths",
        row: { view_id: "v1", coords: [0.1, 0.1, 0.5, 0.1, 0.3, 0.5], num_points: [3], is_closed: true },
      },
    ]);
    const [, id] = s.target.of("created")[0] as [string, string];
    s.applier.apply([{ type: "moveVertex", table: "multi_paths", id, index: 2, x: 0.4, y: 0.6 }]);
    expect(readRow(s.doc, "multi_paths", id)?.coords).toEqual([0.1, 0.1, 0.5, 0.1, 0.4, 0.6]);
  });

  it("during a drag, updates are written at most every 33 ms (first at once, last on release)", () => {
    const s = setup();
    const { id } = createBox(s);
    const writes: Row[] = [];
    tableMap(s.doc, "bboxes").observeDeep(() => writes.push(readRow(s.doc, "bboxes", id) as Row));
    const ref = { table: "bboxes" as const, id };
    const at = (x: number) => ({
      type: "update" as const,
      table: "bboxes" as const,
      id,
      patch: { coords: [x, 0.1, 0.2, 0.2] },
    });
    s.applier.apply([{ type: "awareness", dragging: ref }, at(0.11)]);
    expect(writes).toHaveLength(1);
    s.applier.apply([at(0.12)]);
    s.applier.apply([at(0.13)]);
    s.clock.advance(10);
    s.applier.apply([at(0.14)]);
    expect(writes).toHaveLength(1);
    s.clock.advance(23);
    expect(writes).toHaveLength(2);
    expect(writes[1]?.coords).toEqual([0.14, 0.1, 0.2, 0.2]);
    s.clock.advance(5);
    s.applier.apply([at(0.2), { type: "awareness", dragging: null }]);
    expect(writes).toHaveLength(3);
    expect(readRow(s.doc, "bboxes", id)?.coords).toEqual([0.2, 0.1, 0.2, 0.2]);
    expect(s.target.of("dragging")).toEqual([[ref], [null]]);
    expect(s.clock.pending).toBe(0);
  });

  it("a whole drag is one undo step, even with pauses longer than the capture timeout", () => {
    const s = setup({ undo: true });
    const { id } = createBox(s);
    s.undo?.stopCapturing();
    const ref = { table: "bboxes" as const, id };
    s.applier.apply([
      { type: "awareness", dragging: ref },
      { type: "update", table: "bboxes", id, patch: { coords: [0.3, 0.1, 0.2, 0.2] } },
    ]);
    // The undo manager groups by wall-clock time: make the pause look long to it.
    if (s.undo) s.undo.lastChange -= 10_000;
    s.clock.advance(100);
    s.applier.apply([{ type: "update", table: "bboxes", id, patch: { coords: [0.5, 0.1, 0.2, 0.2] } }]);
    s.clock.advance(100);
    s.applier.apply([{ type: "awareness", dragging: null }]);
    expect(readRow(s.doc, "bboxes", id)?.coords).toEqual([0.5, 0.1, 0.2, 0.2]);
    s.undo?.undo();
    expect(readRow(s.doc, "bboxes", id)?.coords).toEqual([0.1, 0.1, 0.2, 0.2]);
    // The creation is its own, earlier step.
    s.undo?.undo();
    expect(readRow(s.doc, "bboxes", id)).toBeUndefined();
    expect(s.undo?.captureTimeout).toBe(500);
  });

  it("delete removes the shapes and an entity left without annotations, keeping entities that still have some", () => {
    const s = setup();
    const a = createBox(s);
    const b = createBox(s, [0.5, 0.5, 0.1, 0.1]);
    // A second annotation of b's entity keeps it alive.
    s.applier.apply([
      {
        type: "create",
        table: "keypoints",
        row: { view_id: "v1", template_id: "t", coords: [0.1, 0.1], states: ["visible"] },
      },
    ]);
    const [, kpId] = s.target.of("created").at(-1) as [string, string];
    s.doc.transact(() => tableMap(s.doc, "keypoints").get(kpId)?.set("entity_id", b.entityId), ORIGIN);
    s.applier.apply([
      {
        type: "delete",
        refs: [
          { table: "bboxes", id: a.id },
          { table: "bboxes", id: b.id },
        ],
      },
    ]);
    expect(readRows(s.doc, "bboxes")).toEqual([]);
    expect(readRow(s.doc, "entities", a.entityId)).toBeUndefined();
    expect(readRow(s.doc, "entities", b.entityId)).toBeDefined();
    expect(checkDoc(s.doc, s.schema, RECORD)).toEqual([]);
  });

  it("document writes carry the local origin (per-user undo tracks only them)", () => {
    const s = setup();
    const origins: unknown[] = [];
    s.doc.on("afterTransaction", (tr) => origins.push(tr.origin));
    createBox(s);
    expect(origins).toEqual([ORIGIN]);
  });
});

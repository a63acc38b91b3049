import * as Y from "yjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  clientOrigin,
  createEntity,
  readRecord,
  readRow,
  relabel,
  rowIds,
  rowsOfDoc,
  updateRow,
  customCell,
  withCustom,
} from "@tessera/shared-crdt";
import { canonicalRows, loadRecordDoc, readRecordRows, rowsDigest } from "../src/index.js";
import { docContext, logUpdates, stateWorld, type StateWorld } from "./fixture.js";

const alice = clientOrigin("alice");

describe("loadRecordDoc", () => {
  let w: StateWorld;
  beforeEach(async () => {
    w = await stateWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  const load = () =>
    loadRecordDoc({ dataset: w.dataset, log: w.log, snapshots: w.snapshots, key: w.key, clock: w.clock });

  it("builds a record never opened from its rows and saves its first snapshot before returning", async () => {
    expect(await w.snapshots.load(w.key)).toBeNull();
    const loaded = await load();
    expect(loaded).toMatchObject({ created: true, externalChanges: false, foldedUpTo: 0, logHead: 0, replayed: 0 });
    expect(loaded.doc.guid).toBe("state_ds/r1");
    const rows = await readRecordRows(w.dataset, "r1");
    expect(canonicalRows(rowsOfDoc(loaded.doc))).toBe(canonicalRows(rows));
    expect(rowIds(loaded.doc, "bboxes")).toEqual(["b1", "b2"]);
    const snap = await w.snapshots.load(w.key);
    expect(snap).toMatchObject({ foldedUpTo: 0, rowsDigest: rowsDigest(rows), rowsPending: false });
    const fromSnap = new Y.Doc();
    Y.applyUpdate(fromSnap, snap!.state);
    expect(canonicalRows(rowsOfDoc(fromSnap))).toBe(canonicalRows(rows));
  });

  it("an unknown record is a typed error", async () => {
    const err = await loadRecordDoc({
      dataset: w.dataset,
      log: w.log,
      snapshots: w.snapshots,
      key: { datasetId: "state_ds", recordId: "nope" },
      clock: w.clock,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "RecordStateError", reason: "record_not_found" });
  });

  it("loads snapshot + log tail: edits of rows built from LanceDB apply on the same structs", async () => {
    const first = await load();
    const sink = logUpdates(first.doc, w.log, w.key);
    const ctx = docContext(first.doc, w.dataset);
    relabel(ctx, alice, "e1", "truck");
    updateRow(ctx, alice, "bboxes", "b1", { coords: [0.2, 0.2, 0.2, 0.2] });
    const { entityId, annotationId } = createEntity(ctx, alice, {
      entity: withCustom({}, { category: "bike" }),
      annotation: { table: "bboxes", row: { view_id: "img1", coords: [0.6, 0.6, 0.1, 0.1] } },
    });
    const positions = await sink.settled();
    expect(positions).toEqual([1, 2, 3]);

    const second = await load();
    expect(second).toMatchObject({ created: false, externalChanges: false, foldedUpTo: 0, logHead: 3, replayed: 3 });
    expect(customCell(readRow(second.doc, "entities", "e1"), "category")).toBe("truck");
    expect(readRow(second.doc, "bboxes", "b1")?.coords).toEqual([0.2, 0.2, 0.2, 0.2]);
    expect(customCell(readRow(second.doc, "entities", entityId), "category")).toBe("bike");
    expect(readRow(second.doc, "bboxes", annotationId!)?.entity_id).toBe(entityId);
    expect(canonicalRows(rowsOfDoc(second.doc))).toBe(canonicalRows(rowsOfDoc(first.doc)));
    // Same structs: both replicas know exactly the same (client, clock) ranges.
    expect(Y.decodeStateVector(Y.encodeStateVector(second.doc))).toEqual(
      Y.decodeStateVector(Y.encodeStateVector(first.doc)),
    );
  });

  it("merges rows written behind its back as one external transaction, logged, keeping the log's edits", async () => {
    const first = await load();
    const sink = logUpdates(first.doc, w.log, w.key);
    relabel(docContext(first.doc, w.dataset), alice, "e2", "cyclist");
    updateRow(docContext(first.doc, w.dataset), alice, "bboxes", "b1", { confidence: 0.9 });
    await sink.settled();

    // Pixano writes to the same record meanwhile.
    await w.dataset.update("bboxes", "b1", { coords: [0.3, 0.3, 0.3, 0.3] });
    await w.dataset.add("entities", [{ id: "e3", record_id: "r1", category: "tree" }]);
    await w.dataset.add("bboxes", [
      { id: "b3", record_id: "r1", entity_id: "e3", view_id: "img1", coords: [0.7, 0.7, 0.1, 0.1] },
    ]);
    await w.dataset.delete("relations", ["rel1"]);
    await w.dataset.update("records", "r1", { weather: "rainy" });

    const second = await load();
    expect(second).toMatchObject({ externalChanges: true, created: false, logHead: 3, replayed: 2 });
    const doc = second.doc;
    expect(readRow(doc, "bboxes", "b1")).toMatchObject({ coords: [0.3, 0.3, 0.3, 0.3], confidence: 0.9 });
    expect(customCell(readRow(doc, "entities", "e2"), "category")).toBe("cyclist");
    expect(customCell(readRow(doc, "entities", "e3"), "category")).toBe("tree");
    expect(readRow(doc, "bboxes", "b3")?.entity_id).toBe("e3");
    expect(rowIds(doc, "relations")).toEqual([]);
    expect(customCell(readRecord(doc), "weather")).toBe("rainy");

    // The merge itself went to the log: a fresh load rebuilds the same document without merging again.
    const entries = await w.log.read(w.key);
    expect(entries.map((e) => e.pos)).toEqual([1, 2, 3]);
    const third = await load();
    expect(third.externalChanges).toBe(false);
    expect(canonicalRows(rowsOfDoc(third.doc))).toBe(canonicalRows(rowsOfDoc(doc)));
  });

  it("an entity deleted behind its back takes the annotations the log added to it", async () => {
    const first = await load();
    const sink = logUpdates(first.doc, w.log, w.key);
    const ctx = docContext(first.doc, w.dataset);
    const { annotationId } = createEntity(ctx, alice, {
      entity: withCustom({}, { category: "bike" }),
      annotation: { table: "bboxes", row: { view_id: "img1", coords: [0.6, 0.6, 0.1, 0.1] } },
    });
    updateRow(ctx, alice, "bboxes", annotationId!, { entity_id: "e1" });
    await sink.settled();
    await w.dataset.delete("entities", ["e1"]);

    const second = await load();
    expect(second.externalChanges).toBe(true);
    expect(rowIds(second.doc, "entities")).not.toContain("e1");
    expect(rowIds(second.doc, "bboxes")).toEqual(["b2"]);
    expect(rowIds(second.doc, "relations")).toEqual([]);
  });

  it("starts over when a flush trimmed the log past the snapshot it read (no edit goes missing)", async () => {
    const { doc } = await load();
    const stale = (await w.snapshots.load(w.key))!;
    const sink = logUpdates(doc, w.log, w.key);
    relabel(docContext(doc, w.dataset), alice, "e1", "truck");
    relabel(docContext(doc, w.dataset), alice, "e2", "cyclist");
    await sink.settled();
    // What a flush does: fold 1..2 into a new snapshot, then trim.
    const folded = await load();
    await w.snapshots.save(w.key, {
      ...stale,
      state: Y.encodeStateAsUpdate(folded.doc),
      foldedUpTo: 2,
      rowsPending: true,
    });
    await w.log.trim(w.key, 2);
    updateRow(docContext(doc, w.dataset), alice, "bboxes", "b1", { confidence: 0.5 });
    await sink.settled();
    // The loader reads the old snapshot first (as if it had read it just before the flush).
    let calls = 0;
    const racing = {
      ...w.snapshots,
      load: async (k: typeof w.key) => (++calls === 1 ? stale : w.snapshots.load(k)),
      save: w.snapshots.save.bind(w.snapshots),
      delete: w.snapshots.delete.bind(w.snapshots),
    };
    const again = await loadRecordDoc({
      dataset: w.dataset,
      log: w.log,
      snapshots: racing,
      key: w.key,
      clock: w.clock,
    });
    expect(calls).toBeGreaterThan(1);
    expect(customCell(readRow(again.doc, "entities", "e1"), "category")).toBe("truck");
    expect(customCell(readRow(again.doc, "entities", "e2"), "category")).toBe("cyclist");
    expect(readRow(again.doc, "bboxes", "b1")?.confidence).toBe(0.5);
  });

  it("does not treat a half-finished persist (pending snapshot) as someone else's change", async () => {
    await load();
    const snap = (await w.snapshots.load(w.key))!;
    await w.snapshots.save(w.key, { ...snap, rowsPending: true });
    await w.dataset.update("entities", "e1", { category: "half-written" });
    const again = await load();
    expect(again.externalChanges).toBe(false);
    expect(customCell(readRow(again.doc, "entities", "e1"), "category")).toBe("car");
  });
});

import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as Y from "yjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  applyRowsToDoc,
  clientOrigin,
  deleteRows,
  randomId,
  rowsOfDoc,
  transact,
  type ComponentTable,
  type DatasetInfo,
  type Row,
} from "@tessera/shared-crdt";
import { Library, type Dataset, type DatasetHandle } from "@tessera/dataset";
import {
  canonicalRows,
  FileRecordLog,
  FileSnapshotStore,
  loadRecordDoc,
  persistRecord,
  readRecordRows,
  type PersistStep,
} from "../src/index.js";
import { fixedClock, logUpdates } from "./fixture.js";

/**
 * SPEC D-CASCADE / D-DELETE-ONE: one reference table and one delete planner. Deleting a row through
 * the library (LanceDB) and in a record document leaves the same rows, and the persist worker
 * folding a document with a delete deletes exactly the document's rows (no cascade scan, no repair).
 */

const str = { collection: false, type: "str", required: false, default: "" } as const;

function videoInfo(id: string): DatasetInfo {
  return {
    id,
    name: id,
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "video",
    storage_mode: "embedded",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "Obj", fields: { category: str } },
    entity_dynamic_state: { base: "EntityDynamicState", fields: {} },
    tracklet: { base: "Tracklet", fields: {} },
    bbox: { base: "BBox", fields: {} },
    keypoint: { base: "KeyPoints", fields: {} },
    relation: { base: "Relation", fields: {} },
    message: { base: "Message", fields: {} },
    views: { image: { base: "SequenceFrame", fields: {} } },
  };
}

const box = (id: string, extra: Row): Row => ({
  id,
  record_id: "r1",
  entity_id: "e1",
  coords: [0.1, 0.1, 0.2, 0.2],
  ...extra,
});

/** Record r1: a tracklet t1 of e1 with two boxes, a keypoint and a dynamic state; a box b3 outside it linked to that state; a relation on b1. */
const ROWS = {
  records: [
    { id: "r1", split: "train" },
    { id: "r2", split: "train" },
  ],
  entities: [
    { id: "e1", record_id: "r1", category: "car" },
    { id: "e2", record_id: "r1", category: "person" },
    { id: "e9", record_id: "r2", category: "dog" },
  ],
  tracklets: [{ id: "t1", record_id: "r1", entity_id: "e1", start_timestep: 0, end_timestep: 1 }],
  entity_dynamic_states: [
    { id: "s1", record_id: "r1", entity_id: "e1", tracklet_id: "t1", frame_index: 0 },
    { id: "s2", record_id: "r1", entity_id: "e1", frame_index: 1 },
  ],
  bboxes: [
    box("b1", { tracklet_id: "t1", entity_dynamic_state_id: "s2", frame_index: 0 }),
    box("b2", { tracklet_id: "t1", frame_index: 1 }),
    box("b3", { entity_dynamic_state_id: "s1", frame_index: 0 }),
    { id: "b9", record_id: "r2", entity_id: "e9", coords: [0, 0, 1, 1] },
  ],
  keypoints: [
    {
      id: "k1",
      record_id: "r1",
      entity_id: "e1",
      tracklet_id: "t1",
      coords: [0.5, 0.5],
      states: ["visible"],
      frame_index: 0,
    },
  ],
  relations: [{ id: "rel1", record_id: "r1", entity_id: "", predicate: "near", subject_id: "b1", object_id: "b3" }],
  messages: [
    {
      id: "m1",
      record_id: "r1",
      entity_ids: ["e1", "e2"],
      conversation_id: "c1",
      number: 0,
      user: "u",
      type: "QUESTION",
      question_type: "OPEN",
      content: "where?",
    },
  ],
};

/** Ids left per table of record r1, and the references that matter. */
function summary(rows: { tables: Partial<Record<ComponentTable, Row[]>> }): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [t, list] of Object.entries(rows.tables)) {
    if (!list || list.length === 0) continue;
    out[t] = list
      .map(
        (r) =>
          `${String(r.id)}${typeof r.tracklet_id === "string" && r.tracklet_id ? `@${r.tracklet_id}` : ""}${typeof r.entity_dynamic_state_id === "string" && r.entity_dynamic_state_id ? `~${r.entity_dynamic_state_id}` : ""}${Array.isArray(r.entity_ids) ? `[${r.entity_ids.join(",")}]` : ""}`,
      )
      .sort();
  }
  return out;
}

/** What deleting tracklet t1 leaves of r1 by D-CASCADE: its boxes, keypoint and state go; b3 loses its link to s1; rel1 goes with b1. */
const AFTER_TRACKLET_DELETE = {
  entities: ["e1", "e2"],
  entity_dynamic_states: ["s2"],
  bboxes: ["b3"],
  messages: ["m1[e1,e2]"],
};

interface World {
  readonly dataDir: string;
  readonly library: Library;
  readonly viaLibrary: Dataset;
  readonly viaDoc: Dataset;
  close(): Promise<void>;
}

async function world(): Promise<World> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-cascade-once-"));
  let t = Date.UTC(2025, 0, 1);
  const library = new Library(dataDir, { now: () => new Date((t += 1000)) });
  const viaLibrary = await library.create("lib_ds", videoInfo("lib_ds"));
  const viaDoc = await library.create("doc_ds", videoInfo("doc_ds"));
  await viaLibrary.addRecords(ROWS);
  await viaDoc.addRecords(ROWS);
  return {
    dataDir,
    library,
    viaLibrary,
    viaDoc,
    async close() {
      await library.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The record's rows in a fresh document, with one delete applied there (D-OPS 4). */
async function docAfterDelete(ds: Dataset, table: ComponentTable, id: string): Promise<Y.Doc> {
  const rows = await readRecordRows(ds, "r1");
  const live = new Y.Doc();
  transact(live, clientOrigin("loader"), () => applyRowsToDoc(live, rows));
  deleteRows({ doc: live, schema: ds.schema, recordId: "r1", newId: randomId }, clientOrigin("alice"), table, [id]);
  return live;
}

describe("one cascade rule for the document and the library (SPEC D-DELETE-ONE)", () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });
  afterEach(async () => {
    await w.close();
  });

  it("deleting a tracklet through the library deletes its per-frame rows as the document does (was: only tracklet_id cleared)", async () => {
    await w.viaLibrary.delete("tracklets", ["t1"]);
    const doc = await docAfterDelete(w.viaDoc, "tracklets", "t1");
    const fromLibrary = await readRecordRows(w.viaLibrary, "r1");
    expect(summary(fromLibrary)).toEqual(AFTER_TRACKLET_DELETE);
    expect(summary(rowsOfDoc(doc))).toEqual(AFTER_TRACKLET_DELETE);
    expect(canonicalRows(fromLibrary)).toBe(canonicalRows({ ...rowsOfDoc(doc), record: fromLibrary.record }));
    // The other record is untouched.
    expect(summary(await readRecordRows(w.viaLibrary, "r2"))).toEqual({ entities: ["e9"], bboxes: ["b9"] });
    doc.destroy();
  });

  it("deleting an entity or a dynamic state leaves the same rows through the library and in the document", async () => {
    for (const [table, id] of [
      ["entity_dynamic_states", "s1"],
      ["entities", "e1"],
    ] as const) {
      await w.viaLibrary.delete(table, [id]);
      const doc = await docAfterDelete(w.viaDoc, table, id);
      expect(summary(await readRecordRows(w.viaLibrary, "r1")), `${table}/${id}`).toEqual(summary(rowsOfDoc(doc)));
      await w.viaDoc.delete(table, [id]);
      doc.destroy();
    }
    expect(summary(await readRecordRows(w.viaLibrary, "r1"))).toEqual({ entities: ["e2"], messages: ["m1[e2]"] });
  });

  it("a fold of a record whose document deleted a tracklet deletes exactly those rows: no cascading delete, no repair round", async () => {
    const log = new FileRecordLog({ dataDir: w.dataDir, onWarning: () => {} });
    const snapshots = new FileSnapshotStore({ dataDir: w.dataDir });
    const key = { datasetId: "doc_ds", recordId: "r1" };
    const calls: string[] = [];
    const recorded = new Proxy(w.viaDoc, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== "function" || !["delete", "deleteExact", "upsert", "update", "add"].includes(String(prop)))
          return value;
        return (...args: unknown[]) => {
          calls.push(
            `${String(prop)} ${String(args[0])} ${
              Array.isArray(args[1])
                ? (args[1] as Row[])
                    .map((x) => (typeof x === "string" ? x : String(x.id)))
                    .sort()
                    .join(",")
                : ""
            }`,
          );
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as DatasetHandle;
    try {
      const deps = { dataset: recorded, log, snapshots, key, clock: fixedClock() };
      const loaded = await loadRecordDoc(deps);
      const sink = logUpdates(loaded.doc, log, key);
      deleteRows(
        { doc: loaded.doc, schema: w.viaDoc.schema, recordId: "r1", newId: randomId },
        clientOrigin("alice"),
        "tracklets",
        ["t1"],
      );
      await sink.settled();
      sink.stop();
      calls.length = 0;
      const steps: PersistStep[] = [];
      const result = await persistRecord({ ...deps, onStep: (s) => void steps.push(s) });

      expect(calls.filter((c) => c.startsWith("delete "))).toEqual([]);
      expect(calls.filter((c) => c.startsWith("deleteExact")).sort()).toEqual([
        "deleteExact bboxes b1,b2",
        "deleteExact entity_dynamic_states s1",
        "deleteExact keypoints k1",
        "deleteExact relations rel1",
        "deleteExact tracklets t1",
      ]);
      // b3 loses its link to the deleted state: an upsert, as the document has it.
      expect(calls.filter((c) => c.startsWith("upsert") && !c.startsWith("upsert records"))).toEqual([
        "upsert bboxes b3",
      ]);
      expect(
        steps
          .map((s) => s.kind)
          .filter((k) => !["snapshot-pending", "delete", "upsert", "record", "snapshot"].includes(k)),
      ).toEqual([]);
      expect(result.rowsDeleted).toBe(6);
      const stored = await readRecordRows(w.viaDoc, "r1");
      expect(summary(stored)).toEqual(AFTER_TRACKLET_DELETE);
      expect(canonicalRows(stored)).toBe(canonicalRows(rowsOfDoc(loaded.doc)));
      loaded.doc.destroy();
    } finally {
      await log.close();
    }
  });
});

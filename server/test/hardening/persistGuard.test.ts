import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type * as Y from "yjs";
import { IntegrityError, Library, rowsToArrowTable, type Dataset } from "@tessera/dataset";
import { FileRecordLog, FileSnapshotStore, loadRecordDoc, persistRecord, type RecordKey } from "@tessera/storage";
import { clientOrigin, transact, writeRow, type Row, type ValidationIssue } from "@tessera/shared-crdt";

/**
 * The persist write path's guards (SPEC D-OWNER, D-REPAIR), on a real LanceDB dataset: a record's
 * document never moves or overwrites a row of another record, even when such a row reached the
 * document before the room removed it; and an edit of a row only Pixano's leniency allows is written.
 */

const str = { collection: false, type: "str", required: false, default: "" };
const base = {
  source_type: "",
  source_name: "",
  source_metadata: "{}",
  view_id: "",
  tracklet_id: "",
  entity_dynamic_state_id: "",
  frame_id: "",
  frame_index: -1,
};
const theirs = {
  ...base,
  id: "their-box",
  record_id: "r-other",
  entity_id: "",
  coords: [0.1, 0.1, 0.2, 0.2],
  format: "xywh",
  is_normalized: true,
  confidence: 1,
};
const inverted = {
  ...base,
  id: "inverted",
  record_id: "r-mine",
  entity_id: "",
  coords: [0.6, 0.2, 0.3, 0.5],
  format: "xyxy",
  is_normalized: true,
  confidence: 1,
};

let root: string;
let library: Library;
let dataset: Dataset;
let log: FileRecordLog;
let snapshots: FileSnapshotStore;
const key: RecordKey = { datasetId: "guard_ds", recordId: "r-mine" };
let t = Date.UTC(2025, 0, 1);
const clock = { now: () => (t += 1000) };

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-guard-"));
  const dataDir = path.join(root, "data");
  library = new Library(dataDir);
  await library.init();
  dataset = await library.create("guard_ds", {
    id: "guard_ds",
    name: "guard",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "image",
    storage_mode: "mixed",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "Thing", fields: { category: str } },
    bbox: { base: "BBox", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  });
  await dataset.add("records", [
    { id: "r-mine", split: "train" },
    { id: "r-other", split: "train", status: "validated" },
  ]);
  await dataset.add("bboxes", [theirs]);
  log = new FileRecordLog({ dataDir, onWarning: () => {} });
  snapshots = new FileSnapshotStore({ dataDir });
});

afterEach(async () => {
  await log.close();
  await library.close();
  await rm(root, { recursive: true, force: true });
});

/** Loads r-mine's document, edits it as a client, and logs the edit as a room does. */
async function editLogged(edit: (doc: Y.Doc) => void): Promise<void> {
  const { doc } = await loadRecordDoc({ dataset, log, snapshots, key, clock });
  const appends: Array<Promise<number>> = [];
  doc.on("update", (u: Uint8Array) => appends.push(log.append(key, u)));
  transact(doc, clientOrigin("s1"), () => edit(doc));
  await Promise.all(appends);
  doc.destroy();
}

describe("persist guards", () => {
  it("D-OWNER: persist never moves another record's row that reached this record's document; the rest is written", async () => {
    await editLogged((doc) => {
      writeRow(doc, "bboxes", { ...theirs, record_id: "r-mine", coords: [0.7, 0.7, 0.1, 0.1] });
      writeRow(doc, "bboxes", { ...theirs, id: "my-box", record_id: "r-mine" });
    });
    const rejected: ValidationIssue[] = [];
    const result = await persistRecord({ dataset, log, snapshots, key, clock, onRejected: (i) => rejected.push(...i) });
    expect(result.rowsRejected).toBe(1);
    expect(rejected).toEqual([
      { path: "bboxes[their-box].id", message: 'belongs to record "r-other": a row never moves to another record' },
    ]);
    expect(await dataset.get("bboxes", "their-box")).toMatchObject({ record_id: "r-other", coords: theirs.coords });
    expect(await dataset.get("bboxes", "my-box")).toMatchObject({ record_id: "r-mine" });
  });

  it("D-OWNER: a same-record-only upsert neither moves nor overwrites a row of another record, and names it", async () => {
    const err = await dataset
      .upsert(
        "bboxes",
        [
          { ...theirs, record_id: "r-mine", confidence: 0.3 },
          { ...theirs, id: "fresh", record_id: "r-mine" },
        ],
        { sameRecordOnly: true },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).issues.map((i) => [i.rowId, i.reason])).toEqual([["their-box", "duplicate_id"]]);
    expect(await dataset.get("bboxes", "their-box")).toMatchObject({ record_id: "r-other", confidence: 1 });
    expect(await dataset.get("bboxes", "fresh")).toMatchObject({ record_id: "r-mine" });
  });

  it("D-REPAIR: an edit of a stored xyxy box with x2 < x1 (Pixano-valid) is written; one that adds an issue is not", async () => {
    const bboxes = await dataset.table("bboxes");
    if (!bboxes) throw new Error("no bboxes table");
    await bboxes.table.add(rowsToArrowTable(bboxes.layout.schema, [inverted as Row]) as never);
    await editLogged((doc) => (doc.getMap("bboxes").get("inverted") as Y.Map<unknown>).set("confidence", 0.5));
    const first = await persistRecord({ dataset, log, snapshots, key, clock, onRejected: () => {} });
    expect(first.rowsRejected).toBe(0);
    expect(await dataset.get("bboxes", "inverted")).toMatchObject({ coords: inverted.coords, confidence: 0.5 });
    await editLogged((doc) => (doc.getMap("bboxes").get("inverted") as Y.Map<unknown>).set("confidence", 3));
    const rejected: ValidationIssue[] = [];
    await persistRecord({ dataset, log, snapshots, key, clock, onRejected: (i) => rejected.push(...i) });
    expect(rejected.map((i) => i.path)).toContain("bboxes[inverted].confidence");
    expect(await dataset.get("bboxes", "inverted")).toMatchObject({ confidence: 0.5 });
  });
});

import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type * as Y from "yjs";
import { PERSISTENCE_ORIGIN, randomId, type DatasetInfo, type DocContext } from "@tessera/shared-crdt";
import { Library, type Dataset } from "@tessera/dataset";
import { FileRecordLog, FileSnapshotStore, type RecordKey, type StateClock } from "../src/index.js";

/** A small image dataset with custom record and entity fields, as the live-editing tests need. */
function stateInfo(id = "state_ds"): DatasetInfo {
  return {
    id,
    name: "State dataset",
    description: "records edited live",
    size: "Unknown",
    preview: "",
    workspace: "image",
    storage_mode: "embedded",
    record: {
      base: "Record",
      name: "Rec",
      fields: { weather: { collection: false, type: "str", required: false, default: "" } },
    },
    entity: {
      base: "Entity",
      name: "Obj",
      fields: { category: { collection: false, type: "str", required: false, default: "" } },
    },
    bbox: { base: "BBox", fields: {} },
    keypoint: { base: "KeyPoints", fields: {} },
    relation: { base: "Relation", fields: {} },
    message: { base: "Message", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  };
}

const stateRows = {
  records: [
    { id: "r1", split: "train", weather: "sunny", comment: "" },
    { id: "r2", split: "train" },
  ],
  images: [
    { id: "img1", record_id: "r1", logical_name: "image", uri: "r1.png", width: 100, height: 50, format: "PNG" },
    { id: "img2", record_id: "r2", logical_name: "image", uri: "r2.png", width: 100, height: 50, format: "PNG" },
  ],
  entities: [
    { id: "e1", record_id: "r1", category: "car" },
    { id: "e2", record_id: "r1", category: "person" },
    { id: "e9", record_id: "r2", category: "dog" },
  ],
  bboxes: [
    { id: "b1", record_id: "r1", entity_id: "e1", view_id: "img1", coords: [0.1, 0.2, 0.3, 0.4], source_type: "human" },
    { id: "b2", record_id: "r1", entity_id: "e2", view_id: "img1", coords: [0.5, 0.5, 0.1, 0.1] },
    { id: "b9", record_id: "r2", entity_id: "e9", view_id: "img2", coords: [0, 0, 1, 1] },
  ],
  relations: [{ id: "rel1", record_id: "r1", view_id: "img1", predicate: "drives", subject_id: "b2", object_id: "b1" }],
};

export interface StateWorld {
  readonly dataDir: string;
  readonly library: Library;
  readonly dataset: Dataset;
  readonly log: FileRecordLog;
  readonly snapshots: FileSnapshotStore;
  readonly clock: StateClock;
  readonly key: RecordKey;
  close(): Promise<void>;
}

export function fixedClock(start = Date.UTC(2025, 5, 1, 12, 0, 0)): StateClock {
  let t = start;
  return { now: () => (t += 1000) };
}

/** A temp DATA_DIR with the dataset, a writer log and a snapshot store. */
export async function stateWorld(): Promise<StateWorld> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-state-"));
  let t = Date.UTC(2025, 0, 1);
  const library = new Library(dataDir, { now: () => new Date((t += 1000)) });
  const dataset = await library.create("state", stateInfo());
  await dataset.addRecords(stateRows);
  const log = new FileRecordLog({ dataDir, onWarning: () => {} });
  const snapshots = new FileSnapshotStore({ dataDir });
  return {
    dataDir,
    library,
    dataset,
    log,
    snapshots,
    clock: fixedClock(),
    key: { datasetId: "state_ds", recordId: "r1" },
    async close() {
      await log.close();
      await library.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * What a record room does with a loaded document: every non-persistence update goes to the log.
 * `settled()` waits for the appends so far (the room's durable acknowledgement).
 */
export function logUpdates(
  doc: Y.Doc,
  log: FileRecordLog,
  key: RecordKey,
): { settled(): Promise<number[]>; stop(): void } {
  const pending: Array<Promise<number>> = [];
  const onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === PERSISTENCE_ORIGIN) return;
    pending.push(log.append(key, update));
  };
  doc.on("update", onUpdate);
  return {
    settled: () => Promise.all(pending),
    stop: () => doc.off("update", onUpdate),
  };
}

export function docContext(doc: Y.Doc, dataset: Dataset, recordId = "r1"): DocContext {
  return { doc, schema: dataset.schema, recordId, newId: randomId };
}

/** A DATA_DIR as the server sees it (library, log writer, snapshots), shared by the persist tests of the server and the workers. */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Library, type Dataset } from "@tessera/dataset";
import { FileRecordLog, FileSnapshotStore, loadRecordDoc, type LoadedRecord, type RecordKey } from "../src/index.js";
import type { DocContext } from "@tessera/shared-crdt";
import { boxesDatasetInfo, editAsRoom } from "./support/persistWorld.js";

const rows = {
  records: [{ id: "r1" }, { id: "r2" }],
  images: [{ id: "img1", record_id: "r1", logical_name: "image", uri: "r1.png", width: 10, height: 10, format: "PNG" }],
  entities: [
    { id: "e1", record_id: "r1", category: "car" },
    { id: "e2", record_id: "r1", category: "person" },
  ],
  bboxes: [
    { id: "b1", record_id: "r1", entity_id: "e1", view_id: "img1", coords: [0.1, 0.1, 0.2, 0.2] },
    { id: "b2", record_id: "r1", entity_id: "e2", view_id: "img1", coords: [0.5, 0.5, 0.2, 0.2] },
  ],
  relations: [{ id: "rel1", record_id: "r1", view_id: "img1", predicate: "near", subject_id: "b1", object_id: "b2" }],
};

/** The server's side of a DATA_DIR: the library, the log writer, snapshots. */
export interface ServerSide {
  readonly dataDir: string;
  readonly library: Library;
  readonly dataset: Dataset;
  readonly log: FileRecordLog;
  readonly snapshots: FileSnapshotStore;
  readonly key: RecordKey;
  load(): Promise<LoadedRecord>;
  /** Loads the record, applies `edit` as a room would (every update appended to the log), waits for the appends. */
  edit(fn: (ctx: DocContext) => void): Promise<LoadedRecord>;
  close(): Promise<void>;
}

export async function serverSide(): Promise<ServerSide> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-persist-"));
  const library = new Library(dataDir);
  const dataset = await library.create(
    "ds",
    boxesDatasetInfo("ds", "Persist dataset", { relation: { base: "Relation", fields: {} } }),
  );
  await dataset.addRecords(rows);
  const log = new FileRecordLog({ dataDir });
  const snapshots = new FileSnapshotStore({ dataDir });
  const key = { datasetId: "ds", recordId: "r1" };
  const clock = { now: () => Date.now() };
  const load = () => loadRecordDoc({ dataset, log, snapshots, key, clock });
  return {
    dataDir,
    library,
    dataset,
    log,
    snapshots,
    key,
    load,
    edit: async (fn) => editAsRoom(await load(), log, dataset, key, fn),
    async close() {
      await log.close();
      await library.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

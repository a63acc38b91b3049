/** A DATA_DIR with several records alike, as the batched-fold tests of the storage and the worker need. */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Library, type Dataset, type LibraryOptions } from "@tessera/dataset";
import {
  clientOrigin,
  createEntity,
  deleteRows,
  patchRecord,
  relabel,
  serverOrigin,
  transact,
  withCustom,
  type DocContext,
} from "@tessera/shared-crdt";
import { FileRecordLog, FileSnapshotStore, loadRecordDoc, type LoadedRecord, type RecordKey } from "../src/index.js";
import { boxesDatasetInfo, editAsRoom, rowsMatchDoc } from "./support/persistWorld.js";

const DATASET = "batch_ds";

/** Record `r<i>`: one image, entities `e<i>a`/`e<i>b`, each with a bbox (`b<i>a`/`b<i>b`). */
function rowsOf(count: number) {
  const ids = Array.from({ length: count }, (_, i) => `r${i + 1}`);
  return {
    records: ids.map((id) => ({ id })),
    images: ids.map((id) => ({
      id: `img-${id}`,
      record_id: id,
      logical_name: "image",
      uri: `${id}.png`,
      width: 10,
      height: 10,
      format: "PNG",
    })),
    entities: ids.flatMap((id) => [
      { id: `e-${id}-a`, record_id: id, category: "car" },
      { id: `e-${id}-b`, record_id: id, category: "person" },
    ]),
    bboxes: ids.flatMap((id) => [
      { id: `b-${id}-a`, record_id: id, entity_id: `e-${id}-a`, view_id: `img-${id}`, coords: [0.1, 0.1, 0.2, 0.2] },
      { id: `b-${id}-b`, record_id: id, entity_id: `e-${id}-b`, view_id: `img-${id}`, coords: [0.5, 0.5, 0.2, 0.2] },
    ]),
  };
}

export interface BatchWorld {
  readonly dataDir: string;
  readonly dataset: Dataset;
  readonly log: FileRecordLog;
  readonly snapshots: FileSnapshotStore;
  readonly keys: readonly RecordKey[];
  /** Loads a record as the server would (snapshot + log; creates the snapshot on first load). */
  load(key: RecordKey): Promise<LoadedRecord>;
  /** Loads the record, applies `fn` as a room would (every update appended to the log), waits for the appends. */
  edit(key: RecordKey, fn: (ctx: DocContext) => void): Promise<LoadedRecord>;
  /** Whether LanceDB holds exactly the document's rows for this record. */
  rowsMatch(key: RecordKey, loaded: LoadedRecord): Promise<boolean>;
  /** Manifests of a table's Lance versions on disk. */
  versions(table: string): Promise<number>;
  close(): Promise<void>;
}

export async function batchWorld(records: number, options: LibraryOptions = {}): Promise<BatchWorld> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-batch-"));
  const library = new Library(dataDir, options);
  const dataset = await library.create("batch", boxesDatasetInfo(DATASET, "Batch dataset"));
  await dataset.addRecords(rowsOf(records));
  const log = new FileRecordLog({ dataDir, onWarning: () => {} });
  const snapshots = new FileSnapshotStore({ dataDir });
  const keys = Array.from({ length: records }, (_, i) => ({ datasetId: DATASET, recordId: `r${i + 1}` }));
  const clock = { now: () => Date.now() };
  const load = (key: RecordKey) => loadRecordDoc({ dataset, log, snapshots, key, clock });
  return {
    dataDir,
    dataset,
    log,
    snapshots,
    keys,
    load,
    edit: async (key, fn) => editAsRoom(await load(key), log, dataset, key, fn),
    rowsMatch: (key, loaded) => rowsMatchDoc(dataset, key, loaded),
    async versions(table) {
      const dir = path.join(dataset.path, "db", `${table}.lance`, "_versions");
      return (await fs.readdir(dir)).filter((f) => f.endsWith(".manifest")).length;
    },
    async close() {
      await log.close();
      await library.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

const alice = clientOrigin("alice");

/**
 * The same kinds of edit on any record: a relabel, a deleted bbox, a new entity with its bbox, a
 * status change — so a batch of any of these records writes every kind of step (pending snapshots,
 * a delete, two upserts, the record rows, snapshots).
 */
export function everyKindOfEdit(ctx: DocContext): void {
  const r = ctx.recordId;
  relabel(ctx, alice, `e-${r}-a`, "truck");
  deleteRows(ctx, alice, "bboxes", [`b-${r}-b`]);
  createEntity(ctx, alice, {
    entity: withCustom({ id: `e-${r}-new` }, { category: "bike" }),
    annotation: { table: "bboxes", row: { id: `b-${r}-new`, view_id: `img-${r}`, coords: [0.6, 0.6, 0.1, 0.1] } },
  });
  transact(ctx.doc, serverOrigin("workflow"), () => patchRecord(ctx.doc, { status: "inProgress" }));
}

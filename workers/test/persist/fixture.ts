import { fork, type ChildProcess } from "node:child_process";
import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Library, type Dataset } from "@tessera/dataset";
import { FileRecordLog, FileSnapshotStore, loadRecordDoc, type LoadedRecord, type RecordKey } from "@tessera/dataset/state";
import { isPersistReply, PERSISTENCE_ORIGIN, randomId, type DatasetInfo, type DocContext, type PersistReply, type PersistRequest } from "@tessera/shared-crdt";

export const WORKER_ENTRY = fileURLToPath(new URL("../../src/persist/main.ts", import.meta.url));

export function info(id = "ds"): DatasetInfo {
  return {
    id,
    name: "Persist dataset",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "image",
    storage_mode: "embedded",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "Obj", fields: { category: { collection: false, type: "str", required: false, default: "" } } },
    bbox: { base: "BBox", fields: {} },
    relation: { base: "Relation", fields: {} },
    views: { image: { base: "Image", fields: {} } },
  };
}

export const rows = {
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
  const dataset = await library.create("ds", info());
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
    async edit(fn) {
      const loaded = await load();
      const appends: Array<Promise<number>> = [];
      const onUpdate = (u: Uint8Array, origin: unknown) => {
        if (origin !== PERSISTENCE_ORIGIN) appends.push(log.append(key, u));
      };
      loaded.doc.on("update", onUpdate);
      fn({ doc: loaded.doc, schema: dataset.schema, recordId: key.recordId, newId: randomId });
      loaded.doc.off("update", onUpdate);
      await Promise.all(appends);
      return loaded;
    },
    async close() {
      await log.close();
      await library.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A worker process under test, driven over its IPC channel like the server does. */
export interface WorkerUnderTest {
  readonly child: ChildProcess;
  readonly replies: PersistReply[];
  send(message: PersistRequest | Record<string, unknown>): void;
  /** Resolves with the first reply (past or future) matching `pred`; rejects if the worker exits first. */
  reply(pred: (r: PersistReply) => boolean): Promise<PersistReply>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startWorker(dataDir: string, env: Record<string, string> = {}): WorkerUnderTest {
  const loader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const child = fork(WORKER_ENTRY, [dataDir], {
    execArgv: ["--import", loader],
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "json",
  });
  child.stderr?.resume();
  const replies: PersistReply[] = [];
  const listeners = new Set<() => void>();
  child.on("message", (m: unknown) => {
    if (isPersistReply(m)) replies.push(m);
    for (const l of [...listeners]) l();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return {
    child,
    replies,
    exited,
    send: (m) => child.send(m),
    reply: (pred) =>
      new Promise<PersistReply>((resolve, reject) => {
        const check = () => {
          const hit = replies.find(pred);
          if (hit) {
            listeners.delete(check);
            resolve(hit);
          }
        };
        listeners.add(check);
        check();
        void exited.then((e) => {
          if (listeners.delete(check)) reject(new Error(`worker exited (${e.code ?? e.signal}) before the expected reply`));
        });
      }),
  };
}

/**
 * A scaled-mode persist world for the group worker's tests: a real `redis-server` (AOF, appendfsync
 * always), a DATA_DIR with one dataset of N records on real LanceDB, the record logs as Redis streams
 * (`RedisRecordLog`, unfenced, as a record's owner would append), and group persist worker processes
 * (`workers/src/persist/group/main.ts`) started as real children.
 */
import { fork, type ChildProcess } from "node:child_process";
import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Redis } from "ioredis";
import { Library, type Dataset } from "@tessera/dataset";
import {
  clientOrigin,
  createEntity,
  patchRecord,
  persistJobEntry,
  relabel,
  serverOrigin,
  transact,
  withCustom,
  type DocContext,
} from "@tessera/shared-crdt";
import {
  FileSnapshotStore,
  loadRecordDoc,
  recordTag,
  RedisRecordLog,
  redisKeys,
  type LoadedRecord,
  type RecordKey,
  type RedisKeys,
} from "@tessera/storage";
import { boxesDatasetInfo, editAsRoom, rowsMatchDoc } from "../../storage/test/support/persistWorld.js";
import { startRedis, type RedisServer } from "../../storage/test/support/redisServer.js";

const WORKER_ENTRY = fileURLToPath(new URL("../src/persist/group/main.ts", import.meta.url));
const DATASET = "group_ds";

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
    entities: ids.map((id) => ({ id: `e-${id}`, record_id: id, category: "car" })),
    bboxes: ids.map((id) => ({
      id: `b-${id}`,
      record_id: id,
      entity_id: `e-${id}`,
      view_id: `img-${id}`,
      coords: [0.1, 0.1, 0.2, 0.2],
    })),
  };
}

const alice = clientOrigin("alice");

/** A relabel, a new entity with its bbox (ids unique per call) and a status change: every kind of step. */
export function someEdits(tag: string): (ctx: DocContext) => void {
  return (ctx) => {
    const r = ctx.recordId;
    relabel(ctx, alice, `e-${r}`, `truck-${tag}`);
    createEntity(ctx, alice, {
      entity: withCustom({ id: `e-${r}-${tag}` }, { category: "bike" }),
      annotation: { table: "bboxes", row: { id: `b-${r}-${tag}`, view_id: `img-${r}`, coords: [0.6, 0.6, 0.1, 0.1] } },
    });
    transact(ctx.doc, serverOrigin("workflow"), () => patchRecord(ctx.doc, { status: "inProgress" }));
  };
}

export interface GroupWorker {
  readonly child: ChildProcess;
  /** Its process id in the cluster (consumer name), once ready. */
  readonly processId: string;
  /** The JSON log lines it wrote so far. */
  readonly lines: Array<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface GroupWorld {
  readonly dataDir: string;
  readonly redis: RedisServer;
  readonly client: Redis;
  readonly keys: RedisKeys;
  readonly dataset: Dataset;
  readonly log: RedisRecordLog;
  readonly snapshots: FileSnapshotStore;
  readonly records: readonly RecordKey[];
  /** Loads a record as its owner would (snapshot + stream). */
  load(key: RecordKey): Promise<LoadedRecord>;
  /** Loads the record, applies `fn` as a room would (every update appended to its stream); returns the document. */
  edit(key: RecordKey, fn: (ctx: DocContext) => void): Promise<LoadedRecord>;
  /** Whether LanceDB holds exactly the document's rows for this record. */
  rowsMatch(key: RecordKey, loaded: LoadedRecord): Promise<boolean>;
  /** Queues a fold job as a web process would (`reply` = its process id, "" for none). */
  enqueue(key: RecordKey, id: string, reply?: string): Promise<void>;
  /** Starts a group worker process and waits for its `ready`. */
  startWorker(env?: Record<string, string>): Promise<GroupWorker>;
  /** Entries left in a record's stream. */
  streamLength(key: RecordKey): Promise<number>;
  close(): Promise<void>;
}

export async function groupWorld(records: number): Promise<GroupWorld> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-group-"));
  const redis = await startRedis();
  const client = redis.client();
  const keys = redisKeys();
  const library = new Library(dataDir);
  const dataset = await library.create("group", boxesDatasetInfo(DATASET, "Group dataset"));
  await dataset.addRecords(rowsOf(records));
  const log = new RedisRecordLog(client, keys);
  const snapshots = new FileSnapshotStore({ dataDir });
  const keysOf = Array.from({ length: records }, (_, i) => ({ datasetId: DATASET, recordId: `r${i + 1}` }));
  const clock = { now: () => Date.now() };
  const load = (key: RecordKey) => loadRecordDoc({ dataset, log, snapshots, key, clock });
  const workers: GroupWorker[] = [];
  const loader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

  return {
    dataDir,
    redis,
    client,
    keys,
    dataset,
    log,
    snapshots,
    records: keysOf,
    load,
    edit: async (key, fn) => editAsRoom(await load(key), log, dataset, key, fn),
    rowsMatch: (key, loaded) => rowsMatchDoc(dataset, key, loaded),
    async enqueue(key, id, reply = "") {
      await client.call("XADD", keys.jobs, "*", ...persistJobEntry({ tag: recordTag(key), upTo: "latest", reply, id }));
    },
    async startWorker(env = {}) {
      const child = fork(WORKER_ENTRY, [dataDir, "--redis", redis.url], {
        execArgv: ["--import", loader],
        env: { ...process.env, TESSERA_PERSIST_TRACE: "1", ...env },
        stdio: ["ignore", "ignore", "pipe", "ipc"],
        serialization: "json",
      });
      const lines: Array<Record<string, unknown>> = [];
      let buffered = "";
      child.stderr?.on("data", (d: Buffer) => {
        buffered += d.toString("utf8");
        let nl;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          try {
            lines.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            lines.push({ message: line, unparsed: true }); // kept for the failure messages
          }
        }
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once("exit", (code, signal) => resolve({ code, signal })),
      );
      const processId = await new Promise<string>((resolve, reject) => {
        child.on("message", (m: unknown) => {
          const o = m as { type?: unknown; processId?: unknown };
          if (o.type === "ready" && typeof o.processId === "string") resolve(o.processId);
        });
        void exited.then((e) =>
          reject(
            new Error(`group worker exited (${e.code ?? e.signal}) before ready: ${JSON.stringify(lines.slice(-5))}`),
          ),
        );
      });
      const worker = { child, processId, lines, exited };
      workers.push(worker);
      return worker;
    },
    async streamLength(key) {
      return Number(await client.call("XLEN", keys.log(key)));
    },
    async close() {
      for (const w of workers.splice(0)) {
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
        await w.exited;
      }
      await log.close();
      await library.close();
      await redis.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns true, failing after `ms` with `what`. */
export async function until(
  what: string,
  ms: number,
  check: () => Promise<boolean> | boolean,
  context: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} ${context()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

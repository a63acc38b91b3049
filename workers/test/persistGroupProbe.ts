import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Library } from "@tessera/dataset";
import { clientOrigin, persistJobEntry, readRows, relabel } from "@tessera/shared-crdt";
import {
  connectRedis,
  FileRecordLog,
  FileSnapshotStore,
  loadRecordDoc,
  recordTag,
  RedisRecordLog,
  redisKeys,
  type RecordKey,
} from "@tessera/storage";
import { boxesDatasetInfo, editAsRoom } from "../../storage/test/support/persistWorld.js";
import { startRedis } from "../../storage/test/support/redisServer.js";

/**
 * Folds per second of the scaled mode's persist workers (a Redis consumer group,
 * `workers/src/persist/group/`) on N records of the `rooms` shape (50 entities with a box each),
 * each record's stream holding one relabel: for each worker count W, a fresh DATA_DIR and a real
 * `redis-server` (AOF, appendfsync always), W worker processes started and ready, then N jobs
 * queued at once and timed until the N results arrive on the done channel. Worker start-up is not
 * timed. W = 0 is the baseline: the embedded mode's worker (`workers/src/persist/main.ts`) folding the
 * same records from file logs, asked over IPC. Prints the load average with each figure.
 * Usage: `npx tsx workers/test/persistGroupProbe.ts [records=200] [workers=0,1,2]` (not a test: vitest
 * runs `*.test.ts` only). It lives beside the tests rather than in `load-tests/src/probes/` because it
 * seeds the record streams with the storage engine itself (`RedisRecordLog`, `loadRecordDoc`), which
 * the load tests' import boundary keeps out of `load-tests` (no scaled-mode server exists yet to do it
 * through).
 */
const records = Number(process.argv[2] ?? 200);
const workerCounts = (process.argv[3] ?? "0,1,2").split(",").map(Number);
const ENTRY = fileURLToPath(new URL("../src/persist/group/main.ts", import.meta.url));
const EMBEDDED_ENTRY = fileURLToPath(new URL("../src/persist/main.ts", import.meta.url));
const loader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
/** The load average (1, 5, 15 min), as `uptime` prints it. */
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");

function startWorker(dataDir: string, url: string | null): Promise<ChildProcess> {
  const child = fork(url ? ENTRY : EMBEDDED_ENTRY, url ? [dataDir, "--redis", url] : [dataDir], {
    execArgv: ["--import", loader],
    stdio: ["ignore", "ignore", "ignore", "ipc"],
    // The records were edited before the workers started: keep the orphan sweep from queuing them a second time.
    env: { ...process.env, TESSERA_PERSIST_FLUSH_MAX_WAIT_MS: "3600000" },
  });
  return new Promise((resolve, reject) => {
    child.on("message", (m: unknown) => {
      if ((m as { type?: unknown }).type === "ready") resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`worker exited (${code}) before ready`)));
  });
}

const DATASET = "bench";

/** A DATA_DIR with `records` records of the `rooms` shape: one image, `boxes` entities with one box each. */
async function benchDataset(boxes: number): Promise<{ dataDir: string; datasetId: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-probe-group-"));
  const library = new Library(root);
  try {
    const ds = await library.create(
      DATASET,
      boxesDatasetInfo(DATASET, DATASET, { description: "persist group probe" }),
    );
    for (let from = 0; from < records; from += 50) {
      const ids = Array.from({ length: Math.min(50, records - from) }, (_, i) => recordId(from + i));
      const ks = Array.from({ length: boxes }, (_, k) => k);
      await ds.addRecords({
        records: ids.map((id) => ({ id })),
        images: ids.map((id) => ({
          id: `${id}-img`,
          record_id: id,
          logical_name: "image",
          uri: `${id}.png`,
          width: 64,
          height: 64,
          format: "PNG",
        })),
        entities: ids.flatMap((id) => ks.map((k) => ({ id: `${id}-e${k}`, record_id: id, category: "car" }))),
        bboxes: ids.flatMap((id) =>
          ks.map((k) => ({
            id: `${id}-b${k}`,
            record_id: id,
            entity_id: `${id}-e${k}`,
            view_id: `${id}-img`,
            coords: [0.1, 0.1, 0.2, 0.2],
          })),
        ),
      });
    }
  } finally {
    await library.close();
  }
  return { dataDir: root, datasetId: DATASET, cleanup: () => rm(root, { recursive: true, force: true }) };
}

function recordId(i: number): string {
  return `room${String(i).padStart(5, "0")}`;
}

/** `workers` group workers on Redis streams, or (0) the embedded mode's worker on file logs over IPC: the baseline. */
async function run(workers: number): Promise<void> {
  const data = await benchDataset(50);
  const redis = await startRedis();
  const client = connectRedis(redis.url, "probe");
  const sub = connectRedis(redis.url, "probe-sub");
  const keys = redisKeys();
  const library = new Library(data.dataDir);
  const children: ChildProcess[] = [];
  try {
    const dataset = await library.open(data.datasetId);
    const log = workers > 0 ? new RedisRecordLog(client, keys) : new FileRecordLog({ dataDir: data.dataDir });
    const snapshots = new FileSnapshotStore({ dataDir: data.dataDir });
    const alice = clientOrigin("alice");
    const keysOf: RecordKey[] = [];
    for (let i = 0; i < records; i++) {
      const key = { datasetId: data.datasetId, recordId: recordId(i) };
      const loaded = await loadRecordDoc({ dataset, log, snapshots, key, clock: { now: () => Date.now() } });
      await editAsRoom(loaded, log, dataset, key, (ctx) => {
        const entity = readRows(ctx.doc, "entities")[0];
        if (!entity) throw new Error(`${key.recordId} has no entity`);
        relabel(ctx, alice, entity.id, "edited");
      });
      keysOf.push(key);
    }
    await log.close();
    if (workers === 0) {
      const child = await startWorker(data.dataDir, null);
      children.push(child);
      let answered = 0;
      const done = new Promise<void>((resolve) =>
        child.on("message", (m: unknown) => {
          if ((m as { type?: unknown }).type !== "ready" && ++answered === records) resolve();
        }),
      );
      const loadBefore = load();
      const t0 = performance.now();
      for (const [i, key] of keysOf.entries()) child.send({ type: "flush", id: i + 1, ...key });
      await done;
      const s = (performance.now() - t0) / 1000;
      console.log(
        `embedded worker (file logs, IPC) records=${records}: ${s.toFixed(2)} s, ${(records / s).toFixed(1)} folds/s; load average before ${loadBefore}, after ${load()}`,
      );
      return;
    }
    for (let w = 0; w < workers; w++) children.push(await startWorker(data.dataDir, redis.url));
    let answered = 0;
    let failed = 0;
    const done = new Promise<void>((resolve) => {
      sub.on("message", (_c: string, text: string) => {
        if ((JSON.parse(text) as { error?: unknown }).error !== undefined) failed++;
        if (++answered === records) resolve();
      });
    });
    await sub.subscribe(keys.done("probe"));
    const loadBefore = load();
    const t0 = performance.now();
    // All jobs in one pipeline, as the embedded baseline gets its flushes in one burst.
    const queue = client.pipeline();
    for (const [i, key] of keysOf.entries())
      queue.call(
        "XADD",
        keys.jobs,
        "*",
        ...persistJobEntry({ tag: recordTag(key), upTo: "latest", reply: "probe", id: String(i) }),
      );
    for (const [err] of (await queue.exec()) ?? []) if (err) throw err;
    await done;
    const s = (performance.now() - t0) / 1000;
    console.log(
      `workers=${workers} records=${records}: ${s.toFixed(2)} s, ${(records / s).toFixed(1)} folds/s, ${failed} failed; load average before ${loadBefore}, after ${load()}`,
    );
  } finally {
    for (const c of children) c.kill("SIGKILL");
    sub.disconnect();
    client.disconnect();
    await library.close();
    await redis.stop();
    await data.cleanup();
  }
}

for (const w of workerCounts) await run(w);

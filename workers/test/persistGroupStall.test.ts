import { fork } from "node:child_process";
import { createRequire } from "node:module";
import * as os from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ProcessRegistry, RecordLeases } from "@tessera/storage";
import { groupWorld, someEdits, until, type GroupWorld } from "./persistGroupWorld.js";

const WORKER_ENTRY = fileURLToPath(new URL("../src/persist/group/main.ts", import.meta.url));

/**
 * Folds that used to wait for something that never comes: a live owner that no longer flushes (its
 * room kept loaded after its unload gave up, its flush's result lost to it), and a dataset's fold
 * lock whose holder was SIGKILLed mid-fold; and a worker left running by a parent that died while
 * it was loading, which went on taking the cluster's jobs. Real redis-server, real LanceDB, real worker processes.
 */
describe("group persist workers: no fold waits for an event that never comes", () => {
  let world: GroupWorld | null = null;
  afterEach(async () => {
    await world?.close();
    world = null;
  });

  it("a record whose live owner stopped flushing is folded once its log is TESSERA_PERSIST_STALE_MS old (the orphan sweep used to skip it forever)", async () => {
    const w = (world = await groupWorld(2));
    const [stuck] = w.records;
    // A live web process holds the record's lease (heartbeat and lease renewed) and never asks for a fold.
    const web = new ProcessRegistry(w.client, w.keys);
    await web.start({
      kind: "web",
      url: null,
      pid: process.pid,
      host: os.hostname(),
      startedAt: new Date().toISOString(),
    });
    const leases = new RecordLeases(w.client, w.keys, web.processId);
    expect((await leases.acquire(stuck!)).kind).toBe("acquired");
    leases.startRenewing((key) => {
      throw new Error(`the test's lease on ${key.recordId} was lost`);
    });
    try {
      const doc = await w.edit(stuck!, someEdits("a"));
      const t0 = Date.now();
      const worker = await w.startWorker({
        TESSERA_PERSIST_SWEEP_MS: "200",
        TESSERA_PERSIST_FLUSH_MAX_WAIT_MS: "500",
        TESSERA_PERSIST_STALE_MS: "2000",
      });
      await until(
        "the stale log folded",
        20_000,
        async () => (await w.streamLength(stuck!)) === 0,
        () => JSON.stringify(worker.lines.slice(-5)),
      );
      const waited = Date.now() - t0;
      expect(await w.rowsMatch(stuck!, doc)).toBe(true);
      // Not before it was stale: the owner is alive, its own flushes come first.
      expect(waited).toBeGreaterThanOrEqual(2000 - 200);
      console.log(`stale log folded ${waited} ms after the edits (stale after 2000 ms)`);
      expect(await w.client.exists(w.keys.lease(stuck!))).toBe(1);
    } finally {
      leases.stop();
      await web.stop();
    }
  });

  it("a dataset fold lock left by a worker whose heartbeat is gone is taken over at once, not after its 30 s TTL", async () => {
    const w = (world = await groupWorld(2));
    const [key] = w.records;
    const doc = await w.edit(key!, someEdits("a"));
    // The lock as a SIGKILLed worker leaves it: held, its TTL running, its holder's process key gone.
    await w.client.set(w.keys.foldDataset(key!.datasetId), "dead-worker", "PX", 30_000);
    const worker = await w.startWorker();
    const t0 = Date.now();
    await w.enqueue(key!, "j1");
    await until(
      "the record folded",
      20_000,
      async () => (await w.streamLength(key!)) === 0,
      () => JSON.stringify(worker.lines.slice(-5)),
    );
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(await w.rowsMatch(key!, doc)).toBe(true);
    // Released after the fold: the next worker does not wait for it either.
    expect(await w.client.exists(w.keys.foldDataset(key!.datasetId))).toBe(0);
  });

  it("a worker whose parent died while it was loading exits instead of running on as an orphan that takes the cluster's jobs", async () => {
    const w = (world = await groupWorld(1));
    const loader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const child = fork(WORKER_ENTRY, [w.dataDir, "--redis", w.redis.url], {
      execArgv: ["--import", loader],
      env: process.env,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "json",
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    try {
      // The parent's end of the channel closes before the worker's code runs: what the worker sees
      // when the web process that started it is SIGKILLed while it loads.
      child.disconnect();
      await until(
        "the worker to exit by itself",
        30_000,
        () => child.exitCode !== null || child.signalCode !== null,
        () => stderr.slice(-600),
      );
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(stderr).toContain("the parent process is gone");
      // It never joined the cluster: no heartbeat, no consumer in the jobs group.
      expect(await w.client.keys(`${w.keys.prefix}proc:*`)).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    }
  });
});

import { spawn } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import type { Redis } from "ioredis";
import { describe, it } from "vitest";
import { clientOrigin, PERSISTENCE_ORIGIN, randomId, relabel, type DocContext } from "@tessera/shared-crdt";
import { loadRecordDoc, ProcessRegistry, RedisRecordLog, redisKeys, type RedisKeys } from "@tessera/storage";
import { GroupPersistWorkerProcess } from "../../src/persist/GroupPersistWorkerProcess.js";
import { PersistError } from "../../src/persist/PersistError.js";
import { RedisPersister } from "../../src/persist/RedisPersister.js";
import { serverSide, type ServerSide } from "../../../storage/test/serverSide.js";
import { startRedis, type RedisServer } from "../../../storage/test/support/redisServer.js";
import { BIN, ROOT, runTessera } from "../support/cli.js";

const alice = clientOrigin("alice");

async function until(what: string, ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface PersistWorld {
  readonly redis: RedisServer;
  readonly client: Redis;
  readonly keys: RedisKeys;
  readonly side: ServerSide;
  /** Edits r1 as its owner would: every update appended to the record's stream. Returns the last position. */
  readonly edit: (fn: (ctx: DocContext) => void) => Promise<number>;
  readonly worker: (env?: Record<string, string>) => GroupPersistWorkerProcess;
  readonly persister: (timeoutMs?: number) => RedisPersister;
  readonly close: () => Promise<void>;
}

/** A redis-server, a server side (DATA_DIR with dataset ds, record r1) and what a test starts on them; one per test. */
async function persistWorld(): Promise<PersistWorld> {
  const redis = await startRedis();
  const client = redis.client();
  const keys = redisKeys();
  const side = await serverSide();
  const log = new RedisRecordLog(client, keys);
  const closers: Array<() => Promise<void>> = [];
  return {
    redis,
    client,
    keys,
    side,
    edit: async (fn) => {
      const loaded = await loadRecordDoc({
        dataset: side.dataset,
        log,
        snapshots: side.snapshots,
        key: side.key,
        clock: { now: () => Date.now() },
      });
      const appends: Array<Promise<number>> = [];
      loaded.doc.on("update", (u: Uint8Array, origin: unknown) => {
        if (origin !== PERSISTENCE_ORIGIN) appends.push(log.append(side.key, u));
      });
      fn({ doc: loaded.doc, schema: side.dataset.schema, recordId: side.key.recordId, newId: randomId });
      return Math.max(...(await Promise.all(appends)));
    },
    worker: (env = {}) => {
      const w = new GroupPersistWorkerProcess({
        dataDir: side.dataDir,
        redisUrl: redis.url,
        workerStderr: "ignore",
        env,
      });
      closers.push(() => w.stop());
      return w;
    },
    persister: (timeoutMs) => {
      const p = new RedisPersister({
        redis: client,
        subscriber: redis.client(),
        keys,
        processId: "web-test",
        ...(timeoutMs ? { timeoutMs } : {}),
      });
      closers.push(() => p.close());
      return p;
    },
    close: async () => {
      for (const close of closers.splice(0).reverse()) await close();
      await side.close();
      await redis.stop();
    },
  };
}

// The tests run concurrently, each on its own world (most of their time is worker processes starting).
describe.concurrent("RedisPersister: the scaled mode's Persister over the persist workers' consumer group", () => {
  it("flush resolves with the worker's upTo, the rows hold the edit and the worker trimmed the stream", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await persistWorld();
    onTestFinished(() => world.close());
    const { client, keys, side, edit, worker, persister } = world;
    await worker().start();
    const p = persister();
    const last = await edit((ctx) => relabel(ctx, alice, "e1", "truck"));
    expect(await p.flush(side.key)).toMatchObject({ upTo: last, rowsDeleted: 0 });
    expect((await side.dataset.get("entities", "e1"))?.category).toBe("truck");
    expect(Number(await client.call("XLEN", keys.log(side.key)))).toBe(0);
    expect(await client.sismember(keys.logs, "ds/r1")).toBe(0);
    // Nothing new: a second flush writes nothing and reports the same position.
    expect(await p.flush(side.key)).toEqual({ upTo: last, rowsWritten: 0, rowsDeleted: 0, statusChanged: false });
  });

  it("flushes asked while one is in flight share the next job, which folds everything appended before them", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await persistWorld();
    onTestFinished(() => world.close());
    const { redis, keys, side, edit, worker, persister } = world;
    await worker().start();
    const p = persister();
    const jobs: string[] = [];
    const watcher = redis.client();
    watcher.on("message", (_c: string, text: string) => jobs.push(text));
    await watcher.subscribe(keys.done("web-test"));
    const first = await edit((ctx) => relabel(ctx, alice, "e1", "truck"));
    const a = p.flush(side.key);
    const last = await edit((ctx) => relabel(ctx, alice, "e2", "van"));
    const [ra, rb, rc] = await Promise.all([a, p.flush(side.key), p.flush(side.key)]);
    expect(ra.upTo).toBeGreaterThanOrEqual(first);
    expect(rb.upTo).toBe(last);
    expect(rc).toEqual(rb);
    expect((await side.dataset.get("entities", "e2"))?.category).toBe("van");
    await until("both results seen", 5_000, () => jobs.length >= 2);
    expect(jobs).toHaveLength(2);
  });

  it("a flush nobody folds fails with PersistError timeout; the job waits in the stream for the next worker", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await persistWorld();
    onTestFinished(() => world.close());
    const { client, keys, side, edit, worker, persister } = world;
    const p = persister(500);
    const last = await edit((ctx) => relabel(ctx, alice, "e1", "truck"));
    const err = await p.flush(side.key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistError);
    expect((err as PersistError).reason).toBe("timeout");
    await worker().start();
    await until(
      "the queued job folded",
      30_000,
      async () => Number(await client.call("XLEN", keys.log(side.key))) === 0,
    );
    expect((await side.dataset.get("entities", "e1"))?.category).toBe("truck");
    expect(await persister().flush(side.key)).toMatchObject({ upTo: last });
  });

  it("a worker SIGKILLed in the middle of the fold: the flush still resolves (its restart claims the job), nothing lost", async ({
    expect,
    onTestFinished,
  }) => {
    const world = await persistWorld();
    onTestFinished(() => world.close());
    const { side, edit, worker, persister } = world;
    const marker = path.join(os.tmpdir(), `tessera-rpersist-kill-${process.pid}-${Date.now()}`);
    const w = worker({
      TESSERA_PERSIST_CLAIM_MIN_IDLE_MS: "1000",
      TESSERA_TEST_PERSIST_KILL_AT_STEP: "2",
      TESSERA_TEST_PERSIST_KILL_MARKER: marker,
    });
    const firstId = await w.start();
    const p = persister();
    const last = await edit((ctx) => relabel(ctx, alice, "e1", "truck"));
    const result = await p.flush(side.key);
    expect(result.upTo).toBe(last);
    expect(w.processId).not.toBe(firstId);
    expect((await side.dataset.get("entities", "e1"))?.category).toBe("truck");
    expect((await side.snapshots.load(side.key))?.rowsPending).toBe(false);
  });
});

// The two run concurrently (neither shares anything with the other): each is mostly the CLI's start.
describe.concurrent("tessera persist run", () => {
  // The CLI loads the whole server through tsx: slow on a loaded 2-core machine.
  it("without Redis: a usage error naming the flag", { timeout: 150_000 }, async ({ expect }) => {
    const run = await runTessera(["persist", "run", os.tmpdir()], { env: { ...process.env, TESSERA_REDIS_URL: "" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--redis");
  });

  it(
    "registers a persist worker in the cluster and stops on SIGTERM, unregistered",
    { timeout: 150_000 },
    async ({ expect }) => {
      const redis = await startRedis();
      const side = await serverSide();
      try {
        const child = spawn(process.execPath, [BIN, "persist", "run", side.dataDir, "--redis", redis.url], {
          cwd: ROOT,
          stdio: ["ignore", "pipe", "pipe"],
        });
        const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.resume();
        await until("the running line", 120_000, () => /persist worker (\S+) running/.test(out));
        const id = /persist worker (\S+) running/.exec(out)?.[1] ?? "";
        const registry = new ProcessRegistry(redis.client(), redisKeys());
        expect((await registry.info(id))?.kind).toBe("persist");
        child.kill("SIGTERM");
        expect(await exited).toBe(0);
        expect(await registry.alive(id)).toBe(false);
      } finally {
        await side.close();
        await redis.stop();
      }
    },
  );
});

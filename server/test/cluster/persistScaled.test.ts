import { describe, expect, it } from "vitest";
import { clientOrigin, PERSISTENCE_ORIGIN, randomId, relabel } from "@tessera/shared-crdt";
import { loadRecordDoc, ProcessRegistry, RedisRecordLog, redisKeys } from "@tessera/storage";
import { persistWorkersFrom, startScaledPersist } from "../../src/persist/scaledPersist.js";
import { ServerConfigError } from "../../src/serverOptions.js";
import { serverSide } from "../../../storage/test/serverSide.js";
import { startRedis } from "../../../storage/test/support/redisServer.js";

describe("TESSERA_PERSIST_WORKERS: the persist worker children of a scaled-mode web process", () => {
  it("is 1 by default, 0 turns the children off, anything else than 0–16 is refused naming the variable", () => {
    expect(persistWorkersFrom({})).toBe(1);
    expect(persistWorkersFrom({ TESSERA_PERSIST_WORKERS: "0" })).toBe(0);
    expect(persistWorkersFrom({ TESSERA_PERSIST_WORKERS: " 3 " })).toBe(3);
    for (const bad of ["-1", "1.5", "two", "17"]) {
      expect(() => persistWorkersFrom({ TESSERA_PERSIST_WORKERS: bad })).toThrow(ServerConfigError);
      expect(() => persistWorkersFrom({ TESSERA_PERSIST_WORKERS: bad })).toThrow("TESSERA_PERSIST_WORKERS");
    }
  });

  it("startScaledPersist runs one worker child by default: the web process's flushes are folded by it, and close stops it", async () => {
    const redis = await startRedis();
    const side = await serverSide();
    const client = redis.client();
    const keys = redisKeys();
    const scaled = startScaledPersist({
      redis: client,
      subscriber: redis.client(),
      keys,
      processId: "web-a",
      dataDir: side.dataDir,
      redisUrl: redis.url,
      env: {},
      worker: { workerStderr: "ignore" },
    });
    try {
      expect(scaled.workers).toHaveLength(1);
      const log = new RedisRecordLog(client, keys);
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
      relabel(
        { doc: loaded.doc, schema: side.dataset.schema, recordId: "r1", newId: randomId },
        clientOrigin("alice"),
        "e1",
        "truck",
      );
      const last = Math.max(...(await Promise.all(appends)));
      expect((await scaled.persister.flush(side.key)).upTo).toBe(last);
      expect((await side.dataset.get("entities", "e1"))?.category).toBe("truck");
      const workerId = scaled.workers[0]?.processId ?? "";
      const registry = new ProcessRegistry(client, keys);
      expect((await registry.info(workerId))?.kind).toBe("persist");
      await scaled.close();
      expect(scaled.workers[0]?.pid).toBeUndefined();
      expect(await registry.alive(workerId)).toBe(false);
    } finally {
      await scaled.close();
      await side.close();
      await redis.stop();
    }
  });
});

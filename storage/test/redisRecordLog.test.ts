import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { RecordLeases, RecordLogError, RedisRecordLog, redisKeys, type RecordKey } from "../src/index.js";
import { registerRecordLogContract } from "./recordLogContract.js";
import { startRedis, type RedisServer } from "./support/redisServer.js";

let server: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});

// `reopen` is a crash of Redis itself (SIGKILL) and a restart on its AOF: what an append resolved
// with must still be there (appendfsync always).
registerRecordLogContract("RedisRecordLog", async () => {
  const keys = redisKeys(`contract${++prefixes}:`);
  let redis: Redis = server.client();
  let current = new RedisRecordLog(redis, keys);
  return {
    get log() {
      return current;
    },
    async reopen() {
      await current.close();
      await server.kill();
      await server.restart();
      redis = server.client();
      current = new RedisRecordLog(redis, keys);
      return current;
    },
    async cleanup() {
      await current.close();
    },
  };
});

describe("RedisRecordLog in the scaled mode", () => {
  const key: RecordKey = { datasetId: "ds {1}", recordId: "r/1 é" };

  it("a fenced append goes through only while the lease is this process's, and a stale owner can never append after a takeover", async () => {
    const redis = server.client();
    const keys = redisKeys("fence1:");
    await redis.set(keys.proc("A"), "{}", "PX", 60_000);
    const leasesA = new RecordLeases(redis, keys, "A");
    const logA = new RedisRecordLog(redis, keys, { fence: (k) => leasesA.current(k)?.value ?? null });
    await expect(logA.append(key, Uint8Array.of(1))).rejects.toMatchObject({ reason: "fenced" });
    expect((await leasesA.acquire(key)).kind).toBe("acquired");
    expect(await logA.append(key, Uint8Array.of(1))).toBe(1);

    // A's heartbeat stops (SIGKILL, or a pause past its TTL): B takes the record over.
    await redis.del(keys.proc("A"));
    await redis.set(keys.proc("B"), "{}", "PX", 60_000);
    const leasesB = new RecordLeases(redis, keys, "B");
    const logB = new RedisRecordLog(redis, keys, { fence: (k) => leasesB.current(k)?.value ?? null });
    const taken = await leasesB.acquire(key);
    expect(taken).toMatchObject({ kind: "acquired", lease: { processId: "B", epoch: 2 } });
    expect(await logB.append(key, Uint8Array.of(2))).toBe(2);

    // A still believes it owns the record: its append is refused, and nothing of it is in the log.
    const err = await logA.append(key, Uint8Array.of(99)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordLogError);
    expect((err as RecordLogError).reason).toBe("fenced");
    expect((await logB.read(key)).map((e) => [e.pos, ...e.update])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    // A learns it lost the lease at its next renewal.
    expect(await leasesA.renewAll()).toEqual([key]);
    expect(leasesA.current(key)).toBeNull();
  });

  it("lists records with entries until a trim empties them, and tells when the oldest entry was appended", async () => {
    const redis = server.client();
    const keys = redisKeys("pending1:");
    const log = new RedisRecordLog(redis, keys);
    const other: RecordKey = { datasetId: "ds", recordId: "x" };
    const before = Number((await redis.time())[0]) * 1000;
    await log.append(key, Uint8Array.of(1));
    await log.append(other, Uint8Array.of(1));
    await log.append(other, Uint8Array.of(2));
    expect(new Set((await log.pending()).map((k) => `${k.datasetId}|${k.recordId}`))).toEqual(
      new Set([`${key.datasetId}|${key.recordId}`, "ds|x"]),
    );
    const at = await log.oldestEntryAt(other);
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(before);
    await log.trim(other, 1);
    expect((await log.pending()).length).toBe(2);
    await log.trim(other, 2);
    expect(await log.pending()).toEqual([key]);
    expect(await log.oldestEntryAt(other)).toBeNull();
  });
});

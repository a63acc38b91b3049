import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterSecret, ProcessRegistry, RecordLeases, redisKeys, type RecordKey } from "../src/index.js";
import { startRedis, type RedisServer } from "./support/redisServer.js";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});

const key: RecordKey = { datasetId: "ds", recordId: "rec-1" };

describe("process registry and record leases (scaled mode)", () => {
  it("a process is alive while it beats, and gone at once after stop", async () => {
    const redis = server.client();
    const keys = redisKeys("reg1:");
    const a = new ProcessRegistry(redis, keys, { ttlMs: 400, renewMs: 100 });
    const b = new ProcessRegistry(redis, keys, { ttlMs: 400, renewMs: 100 });
    await a.start({ kind: "web", url: "http://127.0.0.1:1", pid: 1, host: "h", startedAt: "t" });
    await b.start({ kind: "persist", url: null, pid: 2, host: "h", startedAt: "t" });
    expect(a.processId).not.toBe(b.processId);
    // Renewed past several TTLs.
    const deadline = Date.now() + 1_000;
    while (Date.now() < deadline) {
      expect(await b.alive(a.processId)).toBe(true);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await a.list()).map((p) => p.id).sort()).toEqual([a.processId, b.processId].sort());
    expect(await b.info(a.processId)).toMatchObject({ kind: "web", url: "http://127.0.0.1:1" });
    await a.stop();
    expect(await b.alive(a.processId)).toBe(false);
    await b.stop();
  });

  it("a lease held by a live process is refused to others; a dead holder's is taken with a new epoch", async () => {
    const redis = server.client();
    const keys = redisKeys("lease1:");
    const a = new ProcessRegistry(redis, keys, { ttlMs: 300, renewMs: 100 });
    await a.start({ kind: "web", url: null, pid: 1, host: "h", startedAt: "t" });
    const leasesA = new RecordLeases(redis, keys, a.processId, { leaseMs: 60_000 });
    const leasesB = new RecordLeases(redis, keys, "B");
    const first = await leasesA.acquire(key);
    expect(first).toMatchObject({ kind: "acquired", lease: { epoch: 1 } });
    // Acquiring again is idempotent for the holder.
    expect(await leasesA.acquire(key)).toMatchObject({ kind: "acquired", lease: { epoch: 1 } });
    expect(await leasesB.acquire(key)).toEqual({ kind: "held", holder: a.processId });
    expect(await leasesB.holder(key)).toBe(a.processId);
    // A dies without releasing (its heartbeat stops): B need not wait for the lease's own TTL.
    await a.stop();
    expect(await leasesB.acquire(key)).toMatchObject({ kind: "acquired", lease: { processId: "B", epoch: 2 } });
    expect(await leasesA.renewAll()).toEqual([key]);
  });

  it("renewal keeps leases past their TTL, re-takes one that expired untouched, and release frees it", async () => {
    const redis = server.client();
    const keys = redisKeys("lease2:");
    await redis.set(keys.proc("A"), "{}");
    const leases = new RecordLeases(redis, keys, "A", { leaseMs: 200 });
    const keysList: RecordKey[] = Array.from({ length: 600 }, (_, i) => ({ datasetId: "ds", recordId: `r${i}` }));
    for (const k of keysList) expect((await leases.acquire(k)).kind).toBe("acquired");
    const lost: RecordKey[] = [];
    leases.startRenewing((k) => lost.push(k));
    await new Promise((r) => setTimeout(r, 700));
    leases.stop();
    expect(lost).toEqual([]);
    expect(await redis.get(keys.lease(keysList[550]!))).toBe(`A:1`);
    // Expired with nobody acquiring it since: the epoch did not move, so the renewal sets it again.
    await redis.del(keys.lease(key));
    await leases.acquire(key);
    await redis.del(keys.lease(key));
    expect(await leases.renewAll()).toEqual([]);
    expect(await leases.holder(key)).toBe("A");
    await leases.release(key);
    expect(await leases.holder(key)).toBeNull();
    expect(leases.current(key)).toBeNull();
  });

  it("every process reads the same cluster secret", async () => {
    const keys = redisKeys("secret1:");
    const [s1, s2] = await Promise.all([clusterSecret(server.client(), keys), clusterSecret(server.client(), keys)]);
    expect(s1.length).toBe(32);
    expect(s1.equals(s2)).toBe(true);
  });
});

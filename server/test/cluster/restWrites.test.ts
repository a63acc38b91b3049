import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { readRecordCell } from "@tessera/shared-crdt";
import { startRedis, type RedisServer } from "../../../storage/test/support/redisServer.js";
import { buildDataDir, DS, getJson, waitFor, type ServerProcess } from "../integration/support.js";
import { editor, leaseHolder, processIdOf, spawnWeb } from "./clusterSupport.js";

/**
 * REST writes through a record's room in the scaled mode (docs/ARCHITECTURE.md §6): a process takes the
 * record's lease when it is free and writes there; a record open on another process is written only by its
 * owner, so the others relay the request to it (server/src/cluster/forwardHttp.ts, restForward.test.ts).
 */
async function putRecord(server: ServerProcess, recordId: string, body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/datasets/${DS}/records/${encodeURIComponent(recordId)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("scaled mode: REST writes through record rooms", () => {
  let redis: RedisServer;
  let client: Redis;
  let data: Awaited<ReturnType<typeof buildDataDir>>;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    redis = await startRedis();
    client = redis.client();
    data = await buildDataDir(["r-free", "r-held", "r-del"]);
    a = await spawnWeb(data.dataDir, redis.url);
    b = await spawnWeb(data.dataDir, redis.url);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await data?.cleanup();
  });

  it("a PUT on a process to a record nobody has open takes its lease there and is folded into the rows", async () => {
    const r = await putRecord(b, "r-free", { status: "inReview" });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("inReview");
    expect(await leaseHolder(client, { datasetId: DS, recordId: "r-free" })).toBe(await processIdOf(client, b.url));
    // Rows are shared: the other process reads the write.
    expect((await getJson<Record<string, unknown>>(`${a.url}/datasets/${DS}/records/r-free`)).status).toBe("inReview");
  }, 60_000);

  it("a PUT on a non-owner to a record open on another process is relayed to the owner, which keeps the record", async () => {
    const live = await editor(a, "r-held", "ana");
    try {
      const relayed = await putRecord(b, "r-held", { status: "inReview" });
      expect(relayed.status).toBe(200);
      expect(relayed.body.status).toBe("inReview");
      await waitFor(() => readRecordCell(live.client.doc, "status") === "inReview", "the live client to see the PUT");
      expect(await leaseHolder(client, { datasetId: DS, recordId: "r-held" })).toBe(await processIdOf(client, a.url));
    } finally {
      live.client.destroy();
    }
  }, 60_000);

  it("a DELETE on a non-owner of a record open on another process is relayed: the owner deletes it", async () => {
    const live = await editor(a, "r-del", "ana");
    try {
      const url = (server: ServerProcess) => `${server.url}/datasets/${DS}/records/r-del`;
      expect((await fetch(url(b), { method: "DELETE" })).status).toBe(204);
      expect((await fetch(url(a))).status).toBe(404);
      expect((await fetch(url(b))).status).toBe(404);
    } finally {
      live.client.destroy();
    }
  }, 60_000);
});

import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import type { ActivityEntry } from "@tessera/shared-crdt";
import { activityFileName } from "../../src/live/ActivityLog.js";
import { startRedis, type RedisServer } from "../../../storage/test/support/redisServer.js";
import { buildDataDir, DS, spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import { call, jsonInit } from "../auth/support.js";

/**
 * The activity feed's file of a dataset is appended to by every process of the scaled mode. Small
 * `O_APPEND` writes are atomic on a local disk, not on NFS: there each append is taken under a short
 * Redis lock, one process at a time. Two real server processes on one data directory, one real
 * redis-server.
 */

let redis: RedisServer;
let client: Redis;
let data: Awaited<ReturnType<typeof buildDataDir>>;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  redis = await startRedis();
  client = redis.client();
  data = await buildDataDir(["r1", "r2"]);
  const env = { TESSERA_REDIS_URL: redis.url };
  [a, b] = await Promise.all([spawnServer(data.dataDir, env), spawnServer(data.dataDir, env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  client?.disconnect();
  await redis?.stop();
  await data?.cleanup();
});

const feedFile = () => path.join(data.dataDir, ".tessera", "activity", activityFileName(DS));
const lockKey = `tessera:append:lock:${encodeURIComponent(`activity/${activityFileName(DS)}`)}`;

/** The feed file's lines, each parsed (a line that is not one whole entry fails the test). */
async function feedLines(): Promise<ActivityEntry[]> {
  let text: string;
  try {
    text = await readFile(feedFile(), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  if (text === "") return [];
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as ActivityEntry);
}

const reviewTexts = (entries: ActivityEntry[]) => entries.flatMap((e) => (e.review ? [e.review.text] : []));

describe("scaled mode: the activity feed's appends from several processes", () => {
  it("an append waits for the cluster's append lock while another process holds it, then lands whole", async () => {
    // Another process holds the lock (as during its own append).
    expect(await client.set(lockKey, "another-process", "PX", 30_000, "NX")).toBe("OK");
    const posted = await call(
      `${a.url}/datasets/${DS}/records/r1/review/threads`,
      jsonInit("POST", { text: "held back" }),
    );
    expect(posted.status).toBe(201);
    // The entry is in A's feed at once (memory), not in the file while the lock is held.
    await waitFor(async () => {
      const listed = (await call(`${a.url}/datasets/${DS}/activity`)).body as ActivityEntry[];
      return reviewTexts(listed).includes("held back") || undefined;
    }, "the entry in A's feed");
    const until = Date.now() + 1500;
    while (Date.now() < until) expect(reviewTexts(await feedLines())).not.toContain("held back");
    await client.del(lockKey);
    await waitFor(
      async () => reviewTexts(await feedLines()).includes("held back") || undefined,
      "the entry appended once the lock is free",
    );
    // It gave its own lock back.
    await waitFor(async () => (await client.exists(lockKey)) === 0 || undefined, "A's lock released");
  });

  it("two processes appending at once leave whole lines, every entry once", async () => {
    const before = (await feedLines()).length;
    const PER = 40;
    const posts = [a, b].flatMap((server, s) =>
      Array.from({ length: PER }, (_, i) =>
        call(
          `${server.url}/datasets/${DS}/records/r${s + 1}/review/threads`,
          jsonInit("POST", { text: `p${s}-${i} ${"x".repeat(200 + i * 37)}` }),
        ),
      ),
    );
    for (const r of await Promise.all(posts)) expect(r.status).toBe(201);
    const entries = await waitFor(async () => {
      const all = await feedLines();
      return all.length >= before + 2 * PER ? all : undefined;
    }, "every entry in the file");
    expect(entries).toHaveLength(before + 2 * PER);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    const texts = reviewTexts(entries);
    for (const s of [0, 1])
      for (let i = 0; i < PER; i++) expect(texts).toContainEqual(expect.stringMatching(new RegExp(`^p${s}-${i} x+$`)));
  });
});

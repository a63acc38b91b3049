import { readFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import type { Redis } from "ioredis";
import { LIVE_NAMESPACE } from "@tessera/shared-crdt";
import { redisKeys } from "@tessera/storage";
import { startRedis, type RedisServer } from "../../../storage/test/support/redisServer.js";
import { buildDataDir, DS, spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import { ADMIN, percentile, upgrade } from "../auth/support.js";
import { processIdOf } from "./clusterSupport.js";

/**
 * The people side's limits across the processes of the scaled mode, with real server processes
 * on one data directory and a real redis-server: the live channel's connections per user (32) and
 * the websocket upgrade attempts per client address hold over all the processes together, a
 * SIGKILLed process's connections stop counting once its heartbeat expired, and each process is
 * one entry of the process registry (one id, one heartbeat).
 */

const LIVE_PER_USER = 32;
const TOO_MANY = "too many live connections for this user";

const sockets: Socket[] = [];

type Outcome = { ok: true; socket: Socket; ms: number } | { ok: false; message: string };

/** A live-channel handshake on `server` as `name` (single-user mode): the hello, or the refusal's message. */
function handshake(server: ServerProcess, name: string, localAddress?: string): Promise<Outcome> {
  const t0 = performance.now();
  const socket: Socket = io(`${server.url}${LIVE_NAMESPACE}`, {
    auth: { datasetId: DS, name },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...(localAddress ? { localAddress } : {}),
  });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once("hello", () => resolve({ ok: true, socket, ms: performance.now() - t0 }));
    socket.once("connect_error", (err: Error) => {
      socket.disconnect();
      resolve({ ok: false, message: err.message });
    });
  });
}

async function admitted(server: ServerProcess, name: string): Promise<Socket> {
  const r = await handshake(server, name);
  if (!r.ok) throw new Error(`${name} refused on ${server.url}: ${r.message}`);
  return r.socket;
}

async function refusal(server: ServerProcess, name: string): Promise<string> {
  const r = await handshake(server, name);
  if (r.ok) {
    r.socket.disconnect();
    return "admitted";
  }
  return r.message;
}

/** Resident memory of a server process, in MiB (Linux). */
function rssMiB(server: ServerProcess): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** A user's live connections as counted in Redis, summed over every process's hash. */
async function countedInRedis(client: Redis, userId: string): Promise<number> {
  let n = 0;
  for (const k of await client.keys("tessera:live:conns:*")) {
    if (k.endsWith(":procs")) continue;
    n += Number((await client.hget(k, userId)) ?? 0);
  }
  return n;
}

afterAll(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});

describe("scaled mode: live connections per user across processes (single-user mode)", () => {
  let redis: RedisServer;
  let client: Redis;
  let data: Awaited<ReturnType<typeof buildDataDir>>;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    client = redis.client();
    data = await buildDataDir(["r1"]);
    const env = { TESSERA_REDIS_URL: redis.url };
    // The upgrade-rate tests' cluster starts at the same time: server starts overlap.
    const [started, rate] = await Promise.all([
      Promise.all([0, 1, 2].map(() => spawnServer(data.dataDir, env))),
      startRateWorld(),
    ]);
    servers = started;
    rateWorld = rate;
  }, 90_000);

  afterAll(async () => {
    for (const s of sockets.splice(0)) s.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
    client?.disconnect();
    await redis?.stop();
    await data?.cleanup();
  });

  it("each web process is one entry of the process registry: no second heartbeat, presence filed under its registry id", async () => {
    const [a, b, c] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const ids = await Promise.all([a, b, c].map((s) => processIdOf(client, s.url)));
    expect(new Set(ids).size).toBe(3);
    // No heartbeat of its own beside the registry's.
    expect(await client.keys("tessera:live:proc:*")).toEqual([]);
    const socket = await admitted(b, "Regina");
    const fields = await waitFor(async () => {
      const f = await client.hkeys(`tessera:presence:${encodeURIComponent(DS)}`);
      return f.length > 0 ? f : undefined;
    }, "Regina's presence in Redis");
    expect(fields.map((f) => f.slice(0, f.indexOf("|")))).toEqual([ids[1]]);
    expect(await client.exists(redisKeys().proc(ids[1] ?? ""))).toBe(1);
    socket.disconnect();
  });

  it("the 33rd live connection of one user is refused whichever process it reaches, with the one-process answer", async () => {
    const [a, b, c] = servers as [ServerProcess, ServerProcess, ServerProcess];
    const open: Socket[] = [];
    for (let i = 0; i < LIVE_PER_USER; i++) open.push(await admitted(servers[i % 3] as ServerProcess, "Flo"));
    for (const s of [a, b, c]) expect(await refusal(s, "Flo")).toBe(TOO_MANY);
    expect(await countedInRedis(client, "guest:flo")).toBe(LIVE_PER_USER);
    // Another user is not concerned.
    (await admitted(c, "Gil")).disconnect();
    // One closes on A: a place is free on C.
    open.shift()?.disconnect();
    await waitFor(
      async () => (await countedInRedis(client, "guest:flo")) === LIVE_PER_USER - 1 || undefined,
      "a place given back",
    );
    open.push(await admitted(c, "Flo"));
    expect(await refusal(b, "Flo")).toBe(TOO_MANY);
    for (const s of open) s.disconnect();
    await waitFor(async () => (await countedInRedis(client, "guest:flo")) === 0 || undefined, "every place given back");
  });

  // The next three run concurrently (each on its own user, two on a process of their own): most of their time is
  // a server start and a heartbeat running out, which overlap.
  it.concurrent(
    "the one-process answer is the same: without Redis the 33rd live connection is refused with it",
    async ({ expect }) => {
      const single = await buildDataDir(["r1"]);
      const one = await spawnServer(single.dataDir);
      try {
        const open: Socket[] = [];
        for (let i = 0; i < LIVE_PER_USER; i++) open.push(await admitted(one, "Flo"));
        expect(await refusal(one, "Flo")).toBe(TOO_MANY);
        for (const s of open) s.disconnect();
      } finally {
        await one.stop();
        await single.cleanup();
      }
    },
  );

  it.concurrent("a SIGKILLed process's live connections stop counting within the heartbeat TTL", async ({ expect }) => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const doomed = await spawnServer(data.dataDir, { TESSERA_REDIS_URL: redis.url });
    const open: Socket[] = [];
    try {
      for (let i = 0; i < LIVE_PER_USER; i++) open.push(await admitted(i % 2 === 0 ? a : doomed, "Kim"));
      expect(await refusal(b, "Kim")).toBe(TOO_MANY);
      await doomed.kill("SIGKILL");
      const killed = performance.now();
      // Its 16 stop counting once its registry heartbeat (5 s) expired: B admits Kim again.
      const socket = await waitFor(
        async () => {
          const r = await handshake(b, "Kim");
          return r.ok ? r.socket : undefined;
        },
        "Kim admitted again once the dead process stopped counting",
        15_000,
      );
      const after = performance.now() - killed;
      console.log(
        `live connections of a SIGKILLed process stopped counting after ${after.toFixed(0)} ms; load ${os.loadavg()[0]?.toFixed(2)}`,
      );
      expect(after).toBeLessThan(12_000);
      open.push(socket);
      // 16 on A and the new one: 15 more fit, the 16th does not.
      for (let i = 0; i < LIVE_PER_USER / 2 - 1; i++) open.push(await admitted(b, "Kim"));
      expect(await refusal(a, "Kim")).toBe(TOO_MANY);
    } finally {
      for (const s of open) s.disconnect();
      await doomed.kill("SIGKILL");
    }
  });

  it.concurrent(
    "a process paused past its registry heartbeat (SIGSTOP) writes its live counts again when it resumes",
    async ({ expect }) => {
      const [a, b] = servers as [ServerProcess, ServerProcess];
      const paused = await spawnServer(data.dataDir, { TESSERA_REDIS_URL: redis.url });
      const open: Socket[] = [];
      try {
        for (let i = 0; i < LIVE_PER_USER; i++) open.push(await admitted(i % 2 === 0 ? a : paused, "Pat"));
        expect(await refusal(b, "Pat")).toBe(TOO_MANY);
        paused.child.kill("SIGSTOP");
        // Its heartbeat expires: its 16 stop counting, B admits Pat again.
        const extra = await waitFor(
          async () => {
            const r = await handshake(b, "Pat");
            return r.ok ? r.socket : undefined;
          },
          "Pat admitted while the paused process's heartbeat is gone",
          15_000,
        );
        extra.disconnect();
        await waitFor(
          async () => (await countedInRedis(client, "guest:pat")) === LIVE_PER_USER / 2 || undefined,
          "the extra place given back",
        );
        paused.child.kill("SIGCONT");
        // Its next beat finds its key gone: the registry says so and its counts are written again.
        await waitFor(
          async () => (await countedInRedis(client, "guest:pat")) === LIVE_PER_USER || undefined,
          "the resumed process's counts written again",
          15_000,
        );
        expect(await refusal(b, "Pat")).toBe(TOO_MANY);
      } finally {
        paused.child.kill("SIGCONT");
        for (const s of open) s.disconnect();
        await paused.kill("SIGKILL");
      }
    },
  );

  // Measures latency: runs alone, after the concurrent ones.
  it("while one user floods handshakes over the processes, another's stay fast and memory stays bounded (p50/p99, RSS printed)", async () => {
    const measure = async (n: number): Promise<number[]> => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const r = await handshake(servers[i % 3] as ServerProcess, "Lea");
        if (!r.ok) throw new Error(`Lea refused: ${r.message}`);
        ms.push(r.ms);
        r.socket.disconnect();
      }
      return ms.sort((x, y) => x - y);
    };
    await measure(6); // warm-up
    const baseline = await measure(30);
    const rssBefore = servers.map(rssMiB);
    const held: Socket[] = [];
    for (let i = 0; i < LIVE_PER_USER; i++) held.push(await admitted(servers[i % 3] as ServerProcess, "Flood"));
    let refused = 0;
    let flooding = true;
    const flood = (async () => {
      for (let round = 0; flooding && round < 40; round++) {
        const batch = await Promise.all(
          Array.from({ length: 15 }, (_, i) => handshake(servers[i % 3] as ServerProcess, "Flood")),
        );
        for (const r of batch) {
          if (r.ok) throw new Error("a flood handshake over the limit was admitted");
          expect(r.message).toBe(TOO_MANY);
          refused++;
        }
      }
    })();
    const during = await measure(30);
    flooding = false;
    await flood;
    const rssAfter = servers.map(rssMiB);
    expect(await countedInRedis(client, "guest:flood")).toBe(LIVE_PER_USER);
    for (const s of held) s.disconnect();
    await waitFor(
      async () => (await countedInRedis(client, "guest:flood")) === 0 || undefined,
      "the flood's places given back",
    );
    const load = os.loadavg()[0]?.toFixed(2);
    const p = (xs: number[], q: number) => percentile(xs, q).toFixed(1);
    console.log(
      `live handshake of another user while one floods (${refused} refused handshakes over 3 processes): ` +
        `p50 ${p(during, 50)} ms, p99 ${p(during, 99)} ms; before the flood p50 ${p(baseline, 50)} ms, p99 ${p(baseline, 99)} ms ` +
        `(ratio p50 ${(percentile(during, 50) / percentile(baseline, 50)).toFixed(2)}); ` +
        `RSS MiB before ${rssBefore.map((x) => x.toFixed(0)).join("/")}, after ${rssAfter.map((x) => x.toFixed(0)).join("/")}; load ${load}`,
    );
    expect(refused).toBeGreaterThanOrEqual(15);
    // Headroom for a loaded 2-core machine: a handshake is one Lua script and a presence read.
    expect(percentile(during, 99)).toBeLessThan(3000);
    rssAfter.forEach((after, i) => expect(after - (rssBefore[i] ?? 0)).toBeLessThan(150));
  });
});

const RATE = 5; // per second; burst four seconds' worth
const BURST = RATE * 4;

interface RateWorld {
  readonly redis: RedisServer;
  readonly data: Awaited<ReturnType<typeof buildDataDir>>;
  readonly servers: ServerProcess[];
}

/** The upgrade-rate tests' cluster (auth on, its own Redis and data directory); started with the first one's. */
let rateWorld: RateWorld | null = null;

// After every describe of the file (the first one starts this world, the last one uses it).
afterAll(async () => {
  const world = rateWorld;
  rateWorld = null;
  if (!world) return;
  await Promise.all(world.servers.map((s) => s.stop()));
  await world.redis.stop();
  await world.data.cleanup();
});

async function startRateWorld(): Promise<RateWorld> {
  const redis = await startRedis();
  const data = await buildDataDir(["r1"]);
  const env = {
    TESSERA_AUTH: "on",
    TESSERA_ADMIN_USER: ADMIN.username,
    TESSERA_ADMIN_PASSWORD: ADMIN.password,
    TESSERA_REDIS_URL: redis.url,
    TESSERA_WS_UPGRADES_PER_SECOND: String(RATE),
  };
  // One first: the first admin is created once, then the others find it.
  const servers = [await spawnServer(data.dataDir, env)];
  servers.push(...(await Promise.all([0, 1].map(() => spawnServer(data.dataDir, env)))));
  return { redis, data, servers };
}

describe("scaled mode: websocket upgrade attempts per client address across processes", () => {
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    rateWorld ??= await startRateWorld();
    servers = rateWorld.servers;
  }, 90_000);

  it("the upgrade-rate limit of one address holds over three processes (sync upgrades and live handshakes), not three times over", async () => {
    const t0 = performance.now();
    const refusedHere: number[] = [0, 0, 0];
    const outcomes: string[] = [];
    // Three times the burst from 127.0.0.2, spread evenly (each process alone would let all of its share
    // in), one process in three taking a live handshake instead of a sync upgrade each round.
    for (let round = 0; round < BURST; round++) {
      const r = await Promise.all(
        servers.map((s, i) =>
          i === round % 3
            ? liveAttempt(s, "127.0.0.2")
            : upgrade(s.url, `/sync/${DS}/r1`, {}, "127.0.0.2").then((x) => `sync ${x.status}`),
        ),
      );
      r.forEach((o, i) => {
        outcomes.push(o);
        if (refusedAttempt(o)) refusedHere[i] = (refusedHere[i] ?? 0) + 1;
      });
    }
    const elapsed = (performance.now() - t0) / 1000;
    const passed = outcomes.filter((o) => !refusedAttempt(o));
    const allowed = BURST + RATE * elapsed;
    console.log(
      `upgrade attempts from one address over 3 processes: ${passed.length} of ${BURST * 3} past the rate limit in ${elapsed.toFixed(2)} s ` +
        `(burst ${BURST}, ${RATE}/s: ≤ ${allowed.toFixed(1)} allowed; refused per process ${refusedHere.join("/")}); load ${os.loadavg()[0]?.toFixed(2)}`,
    );
    // Past the limit means asked who they are: no credentials, 401 (sync) or "authentication required" (live).
    for (const o of passed) expect(o).toMatch(/^(sync 401|live authentication required)$/);
    expect(passed.length).toBeLessThanOrEqual(Math.floor(allowed) + 1);
    expect(passed.length).toBeGreaterThanOrEqual(BURST);
    // Every process refuses some, live handshakes among them.
    for (const n of refusedHere) expect(n).toBeGreaterThan(0);
    expect(outcomes.some((o) => o.startsWith("live too many connection attempts from this address"))).toBe(true);
    // Another address is not concerned.
    expect((await upgrade((servers[2] as ServerProcess).url, `/sync/${DS}/r1`, {}, "127.0.0.3")).status).toBe(401);
  });
});

const refusedAttempt = (o: string) => o === "sync 503" || o.startsWith("live too many connection attempts");

/** A live handshake without credentials from `localAddress`: "live " and the refusal's message. */
async function liveAttempt(server: ServerProcess, localAddress: string): Promise<string> {
  const r = await handshake(server, "nobody", localAddress);
  if (r.ok) {
    r.socket.disconnect();
    return "live admitted";
  }
  return `live ${r.message}`;
}

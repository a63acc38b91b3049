import os from "node:os";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { io, type Socket } from "socket.io-client";
import { LIVE_NAMESPACE } from "@tessera/shared-crdt";
import { startRedis, type RedisServer } from "../../../storage/test/support/redisServer.js";
import { spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import {
  ADMIN,
  bearer,
  buildDataDir,
  call,
  DS,
  jsonInit,
  login,
  PASSWORD,
  percentile,
  seedUsers,
  tokenFor,
  upgrade,
  wsWithHeaders,
} from "../auth/support.js";

/**
 * Accounts across the processes of the scaled mode: two real server processes (A and B) on one
 * data directory and one real redis-server. A session or token made on one process holds on the
 * other at once; logout, role changes and revocations made on one take effect on the other at
 * once and cut the websockets there; websocket and login limits count both processes together.
 */

const PER_USER = 4;
let redis: RedisServer;
let data: Awaited<ReturnType<typeof buildDataDir>>;
let a: ServerProcess;
let b: ServerProcess;
const open: Array<{ close(): void }> = [];

beforeAll(async () => {
  redis = await startRedis();
  data = await buildDataDir(["r1", "r2"]);
  await seedUsers(data.dataDir, {
    annotator: { role: "annotator" },
    reviewer: { role: "reviewer" },
    limited: { role: "annotator" },
    guessed: { role: "annotator" },
    tokened: { role: "annotator" },
  });
  const env = {
    TESSERA_AUTH: "on",
    TESSERA_ADMIN_USER: ADMIN.username,
    TESSERA_ADMIN_PASSWORD: ADMIN.password,
    TESSERA_REDIS_URL: redis.url,
    TESSERA_WS_PER_USER: String(PER_USER),
  };
  // A first: the first admin is created once, then B finds it.
  a = await spawnServer(data.dataDir, env);
  b = await spawnServer(data.dataDir, env);
}, 60_000);

afterAll(async () => {
  for (const s of open.splice(0)) s.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  await data?.cleanup();
});

/** A raw websocket on the sync endpoint with these headers; resolves once open. */
async function syncSocket(server: ServerProcess, headers: Record<string, string>, record = "r1") {
  const Ws = wsWithHeaders(headers);
  const ws = new Ws(`${server.wsUrl}/sync/${DS}/${record}`);
  open.push(ws);
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { ws, closed };
}

/** A live-channel client with these headers; resolves with its hello. */
async function liveSocket(server: ServerProcess, headers: Record<string, string>) {
  const socket: Socket = io(`${server.url}${LIVE_NAMESPACE}`, {
    auth: { datasetId: DS },
    transports: ["websocket"],
    extraHeaders: headers,
    reconnection: false,
  });
  open.push({ close: () => socket.disconnect() });
  const hello = await new Promise<{ you: { name: string; role: string } }>((resolve, reject) => {
    socket.once("hello", resolve);
    socket.once("connect_error", reject);
  });
  const closed = new Promise<void>((resolve) => socket.once("disconnect", () => resolve()));
  return { socket, hello, closed };
}

describe("scaled mode: accounts and sessions shared by the processes", () => {
  it("a session made by logging in on A is valid on B at once: REST, the sync websocket and the live channel", async () => {
    const cookie = await login(a.url, "annotator");
    const me = await call(`${b.url}/auth/me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: "annotator", role: "annotator" });
    expect((await upgrade(b.url, `/sync/${DS}/r1`, { cookie })).status).toBe("open");
    const { hello } = await liveSocket(b, { cookie });
    expect(hello.you).toMatchObject({ name: "annotator", role: "annotator" });
  });

  it("logging out on A ends the session on B at once and closes B's websockets of that session", async () => {
    const cookie = await login(a.url, "annotator");
    const other = await login(a.url, "annotator");
    const sync = await syncSocket(b, { cookie });
    const keep = await syncSocket(b, { cookie: other });
    const live = await liveSocket(b, { cookie });
    const out = await call(`${a.url}/auth/logout`, { method: "POST", headers: { cookie } });
    expect(out.status).toBe(204);
    // No poll: B answers from Redis, where the session is gone before A answered the logout.
    expect((await call(`${b.url}/auth/me`, { headers: { cookie } })).status).toBe(401);
    expect((await upgrade(b.url, `/sync/${DS}/r1`, { cookie })).status).toBe(401);
    await sync.closed;
    await live.closed;
    // The user's other session is untouched.
    expect(keep.ws.readyState).toBe(WebSocket.OPEN);
    expect((await call(`${b.url}/auth/me`, { headers: { cookie: other } })).status).toBe(200);
  });

  it("a role change made on B holds on A at once and cuts the user's websockets on A", async () => {
    const cookie = await login(a.url, "reviewer");
    const sync = await syncSocket(a, { cookie });
    const admin = await login(b.url, ADMIN.username, ADMIN.password);
    const changed = await call(`${b.url}/users/reviewer`, jsonInit("PATCH", { role: "viewer" }, { cookie: admin }));
    expect(changed.status).toBe(200);
    const me = await call(`${a.url}/auth/me`, { headers: { cookie } });
    expect(me.body).toMatchObject({ username: "reviewer", role: "viewer" });
    await sync.closed;
    // The new role is what the websocket is admitted with now.
    const { hello } = await liveSocket(a, { cookie });
    expect(hello.you.role).toBe("viewer");
  });

  it("an API token made on A works on B at once; revoked on A, B refuses it and closes its websockets", async () => {
    const token = await tokenFor(a.url, "tokened");
    expect((await call(`${b.url}/auth/me`, { headers: bearer(token) })).body).toMatchObject({ username: "tokened" });
    const sync = await syncSocket(b, bearer(token));
    const cookie = await login(a.url, "tokened");
    const list = await call(`${a.url}/auth/tokens`, { headers: { cookie } });
    const id = (list.body as Array<{ id: string }>)[0]?.id ?? "";
    expect((await call(`${a.url}/auth/tokens/${id}`, { method: "DELETE", headers: { cookie } })).status).toBe(204);
    expect((await call(`${b.url}/auth/me`, { headers: bearer(token) })).status).toBe(401);
    await sync.closed;
  });

  it("API tokens created at the same moment on A and B all survive: no process writes a stale tokens file over another's", async () => {
    const cookie = await login(a.url, "tokened");
    const made = await Promise.all(
      [a, b, a, b, a, b].map(async (server, i) => {
        const r = await call(`${server.url}/auth/tokens`, jsonInit("POST", { name: `t${i}` }, { cookie }));
        expect(r.status).toBe(201);
        return r.body.token as string;
      }),
    );
    for (const server of [a, b])
      for (const token of made)
        expect(
          (await call(`${server.url}/auth/me`, { headers: bearer(token) })).status,
          `a token on ${server.url}`,
        ).toBe(200);
    const listed = (await call(`${b.url}/auth/tokens`, { headers: { cookie } })).body as Array<{ name: string }>;
    expect(
      listed
        .map((t) => t.name)
        .filter((n) => /^t\d$/.test(n))
        .sort(),
    ).toEqual(["t0", "t1", "t2", "t3", "t4", "t5"]);
  });

  it("the per-user websocket limit counts the user's sockets on A and B together", async () => {
    const cookie = await login(a.url, "limited");
    const onA = [await syncSocket(a, { cookie }), await syncSocket(a, { cookie })];
    await syncSocket(b, { cookie });
    await syncSocket(b, { cookie });
    // PER_USER (4) open across the two processes: a fifth is refused on either, with Retry-After.
    const refusedOnA = await upgrade(a.url, `/sync/${DS}/r1`, { cookie });
    const refusedOnB = await upgrade(b.url, `/sync/${DS}/r2`, { cookie });
    expect(refusedOnA.status).toBe(503);
    expect(refusedOnB.status).toBe(503);
    expect(refusedOnB.body).toContain("too many connections for this user");
    expect(refusedOnB.headers["retry-after"]).toBeDefined();
    // One closes on A: B admits one again.
    onA[0]?.ws.close();
    await onA[0]?.closed;
    await waitFor(
      async () => (await upgrade(b.url, `/sync/${DS}/r2`, { cookie })).status === "open" || undefined,
      "a place freed on A to be usable on B",
    );
  });

  it("checks a session in Redis on every request and counts websockets in Redis at every upgrade, in milliseconds (p50/p99 printed)", async () => {
    const cookie = await login(a.url, "annotator");
    const rest: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      const r = await call(`${b.url}/auth/me`, { headers: { cookie } });
      rest.push(performance.now() - t0);
      expect(r.status).toBe(200);
    }
    const upgrades: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      const s = await syncSocket(b, { cookie }, "r2");
      upgrades.push(performance.now() - t0);
      s.ws.close();
      await s.closed;
    }
    rest.sort((x, y) => x - y);
    upgrades.sort((x, y) => x - y);
    const load = os.loadavg()[0]?.toFixed(2);
    console.log(
      `scaled mode on B, session from A: GET /auth/me p50 ${percentile(rest, 50).toFixed(1)} ms, p99 ${percentile(rest, 99).toFixed(1)} ms (200); ` +
        `sync upgrade p50 ${percentile(upgrades, 50).toFixed(1)} ms, p99 ${percentile(upgrades, 99).toFixed(1)} ms (40); load ${load}`,
    );
    // Headroom for a loaded 2-core machine: a lookup is one GET and a stat, an admission one Lua script.
    expect(percentile(rest, 99)).toBeLessThan(1000);
    expect(percentile(upgrades, 99)).toBeLessThan(2000);
  });

  it("failed logins on A lock the account on B too", async () => {
    // Five failures are free; the sixth locks the name (1 s, doubling).
    for (let i = 0; i < 6; i++) {
      const r = await call(
        `${a.url}/auth/login`,
        jsonInit("POST", { username: "guessed", password: `wrong-${i}-xxxx` }),
      );
      expect(r.status).toBe(401);
    }
    const onB = await call(`${b.url}/auth/login`, jsonInit("POST", { username: "guessed", password: PASSWORD }));
    expect(onB.status).toBe(429);
    expect(onB.headers.get("retry-after")).not.toBeNull();
    console.log(`login lock across processes: B answered ${onB.status}; load ${os.loadavg()[0]?.toFixed(2)}`);
  });

  it("while Redis is down a session cannot be checked: 503 + Retry-After, never let in as anybody; once Redis is back (AOF) it holds again", async () => {
    const cookie = await login(a.url, "annotator");
    await redis.kill();
    try {
      const r = await call(`${b.url}/auth/me`, { headers: { cookie } });
      expect(r.status).toBe(503);
      expect(r.body.detail).toMatch(/unavailable/);
      expect(r.headers.get("retry-after")).not.toBeNull();
      // The process keeps serving what needs no account.
      expect((await call(`${b.url}/health`)).status).toBeLessThan(500);
    } finally {
      await redis.restart();
    }
    await waitFor(
      async () => (await call(`${b.url}/auth/me`, { headers: { cookie } })).status === 200 || undefined,
      "the session to hold again once Redis is back",
      20_000,
    );
    expect(a.alive() && b.alive()).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { readRows, writeRowCells } from "@tessera/shared-crdt";
import { ManualClock } from "./support/ManualClock.js";
import { buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";
import {
  connect,
  docOf,
  rawSocket,
  roomEvent,
  startSyncServer,
  upgradeStatus,
  waitFor,
  type TestClient,
  type TestServer,
} from "./support/harness.js";

let data: SyncTestData;
let server: TestServer;
const clients: TestClient[] = [];
let upgrades = 0;

beforeAll(async () => {
  data = await buildSyncDataDir();
  server = await startSyncServer(data.dataDir, { limits: { maxConnectionsPerRecord: 2 } });
  server.http.on("upgrade", (req: IncomingMessage, socket: Duplex) => {
    upgrades++;
    // Another handler's upgrade path: the sync endpoint must leave it alone.
    if (req.url?.startsWith("/other"))
      socket.end("HTTP/1.1 418 I'm a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.close();
  await data?.cleanup();
});

describe("the HTTP upgrade", () => {
  it("refuses unknown datasets and records and malformed paths with 404, before any document loads", async () => {
    expect(await upgradeStatus(server, "/sync/nope/r0")).toBe(404);
    expect(await upgradeStatus(server, `/sync/${DS}/no-such-record`)).toBe(404);
    expect(await upgradeStatus(server, `/sync/${DS}`)).toBe(404);
    expect(await upgradeStatus(server, `/sync/${DS}/r0/extra`)).toBe(404);
    expect(await upgradeStatus(server, `/sync/${DS}/%E0%A4%A`)).toBe(404);
    expect(server.sync.rooms.size).toBe(0);
  });

  it("refuses an unknown role with 403 (default identity hook)", async () => {
    expect(await upgradeStatus(server, `/sync/${DS}/r0?role=superuser`)).toBe(403);
  });

  it("answers 503 over the per-record connection limit", async () => {
    const a = rawSocket(server, `/sync/${DS}/r1`);
    const b = rawSocket(server, `/sync/${DS}/r1`);
    await Promise.all([a.opened, b.opened]);
    expect(await upgradeStatus(server, `/sync/${DS}/r1`)).toBe(503);
    a.ws.close();
    await a.closed;
    await waitFor(() => server.sync.connectionCount === 1, "one connection left");
    expect(await upgradeStatus(server, `/sync/${DS}/r1`)).toBe("open");
    b.ws.close();
    await b.closed;
  });

  it("leaves other upgrade paths to their handlers", async () => {
    const before = upgrades;
    expect(await upgradeStatus(server, "/other/thing")).toBe(418);
    expect(upgrades).toBe(before + 1);
  });

  it("makes a stock client back off (200, 400, 800 ms…) instead of reconnect-looping", async () => {
    const t0 = Date.now();
    const c = connect(server, DS, "missing-record", { name: "lost" });
    clients.push(c);
    await waitFor(() => c.provider.wsUnsuccessfulReconnects >= 4, "four refused attempts");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_300);
    expect(c.provider.synced).toBe(false);
    c.destroy();
  });
});

/** Keep-alive and pings run on the endpoint's clock: these tests own it and move it themselves. */
describe("keep-alive on an injected clock", () => {
  const clock = new ManualClock();
  let timedData: SyncTestData;
  let timed: TestServer;

  beforeAll(async () => {
    timedData = await buildSyncDataDir();
    timed = await startSyncServer(timedData.dataDir, { clock, limits: { pingIntervalMs: 100, keepAliveMs: 200 } });
  });

  afterAll(async () => {
    await timed?.close();
    await timedData?.cleanup();
  });

  it("keeps an idle stock client with awareness off from hitting its 30 s silence timeout", async () => {
    const c = connect(timed, DS, "r5", { name: "quiet" });
    clients.push(c);
    c.provider.awareness.setLocalState(null);
    await c.synced();
    const before = c.sink.frames.length;
    const keepAlives = () =>
      c.sink.frames.slice(before).filter((f) => f.length === 3 && f[0] === 1 && f[1] === 1 && f[2] === 0).length;
    // Nothing else happens on this record: whatever arrives now is the keep-alive, one per 200 ms of silence.
    await clock.advance(200);
    await waitFor(() => keepAlives() >= 1, "first keep-alive frame");
    await clock.advance(200);
    await waitFor(() => keepAlives() >= 2, "second keep-alive frame");
    expect(c.provider.wsconnected).toBe(true);
  });

  it("terminates a peer that stops answering pings", async () => {
    const raw = rawSocket(timed, `/sync/${DS}/r2`);
    await raw.opened;
    await roomEvent(timed, "join", (e) => e.recordId === "r2");
    // A peer whose process hangs: it never reads the ping, so it never pongs.
    raw.ws.pause();
    const left = roomEvent(timed, "leave", (e) => e.recordId === "r2");
    await clock.advance(100); // ping
    expect(timed.logs.some((l) => l.message === "sync peer missed a ping; terminating")).toBe(false);
    await clock.advance(100); // no pong since: terminated
    await left;
    expect(timed.logs.some((l) => l.message === "sync peer missed a ping; terminating")).toBe(true);
    raw.ws.terminate();
  });
});

describe("an identity hook", () => {
  it("refuses with its own 401/403 and identifies accepted connections", async () => {
    const other = await startSyncServer(data.dataDir, {
      identify: (req) => {
        const token = new URL(req.url ?? "/", "http://x").searchParams.get("token");
        if (!token) return Promise.resolve({ refuse: 401, message: "token required" });
        if (token !== "good") return Promise.resolve({ refuse: 403, message: "forbidden" });
        return Promise.resolve({ id: "user-42", name: "Forty Two", role: "reviewer", tessera: true });
      },
    });
    try {
      expect(await upgradeStatus(other, `/sync/${DS}/r3`)).toBe(401);
      expect(await upgradeStatus(other, `/sync/${DS}/r3?token=bad`)).toBe(403);
      const c = connect(other, DS, "r3", { name: "ignored" });
      c.provider.params = { token: "good" };
      c.provider.disconnect();
      c.provider.connect();
      await c.synced();
      await roomEvent(other, "join", (e) => e.userId === "user-42");
      c.destroy();
    } finally {
      await other.close();
    }
  });
});

describe("shutdown", () => {
  it("flushes every room and closes sockets with 1001", async () => {
    const other = await startSyncServer(data.dataDir, { limits: { flushDebounceMs: 60_000, flushMaxWaitMs: 60_000 } });
    const c = connect(other, DS, "r4", { name: "late" });
    try {
      await c.synced();
      const closedWith = new Promise<number>((resolve) =>
        c.provider.on("connection-close", (e: { code: number } | null) => resolve(e?.code ?? -1)),
      );
      c.doc.transact(() =>
        writeRowCells(c.doc, "entities", { id: "at-shutdown", record_id: "r4", parent_id: "", category: "x" }),
      );
      await waitFor(
        () => readRows(other.sync.rooms.loaded(DS, "r4")!.doc, "entities").some((r) => r.id === "at-shutdown"),
        "edit at the server",
      );
      c.provider.shouldConnect = false;
      await other.sync.close();
      expect(await closedWith).toBe(1001);
      const snap = await other.snapshots.load({ datasetId: DS, recordId: "r4" });
      expect(readRows(docOf([snap!.state]), "entities").map((r) => r.id)).toContain("at-shutdown");
      expect(await other.log.read({ datasetId: DS, recordId: "r4" })).toEqual([]);
    } finally {
      c.destroy();
      await other.close();
    }
  });
});

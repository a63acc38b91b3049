import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import { LIVE_NAMESPACE, type ActivityEntry, type Presence, type StatusChange } from "@tessera/shared-crdt";
import type { ReviewThread } from "@tessera/shared-crdt/api";
import { startRedis, type RedisServer } from "../../../storage/test/support/redisServer.js";
import { buildDataDir, DS, spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import { call, jsonInit } from "../auth/support.js";
import { runningServer, runningServers } from "../../src/serverLock.js";

/**
 * The live channel and the team's shared files across the processes of the scaled mode: two real
 * server processes (A, B; a third, C, is SIGKILLed) on one data directory and one real
 * redis-server, in the single-user mode (people named by the handshake). Presence, follow, status
 * changes and activity reach everyone wherever they are connected; review threads and assignments
 * written through one process are read through the other.
 */

let redis: RedisServer;
let data: Awaited<ReturnType<typeof buildDataDir>>;
let a: ServerProcess;
let b: ServerProcess;
const sockets: Socket[] = [];

beforeAll(async () => {
  redis = await startRedis();
  data = await buildDataDir(["r1", "r2", "r3"]);
  const env = { TESSERA_REDIS_URL: redis.url };
  a = await spawnServer(data.dataDir, env);
  b = await spawnServer(data.dataDir, env);
}, 60_000);

afterAll(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  await data?.cleanup();
});

function ack<T>(emit: (cb: (r: { ok: true; value: T } | { ok: false; error: string }) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => emit((r) => (r.ok ? resolve(r.value) : reject(new Error(r.error)))));
}

/** A live-channel connection to `server` that records every event it receives. */
function join(server: ServerProcess, name: string, role = "annotator") {
  const socket: Socket = io(`${server.url}${LIVE_NAMESPACE}`, {
    auth: { datasetId: DS, name, role },
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(socket);
  const events: Array<[string, unknown]> = [];
  socket.onAny((event: string, payload: unknown) => events.push([event, payload]));
  const seen = <T>(event: string, pred: (p: T) => boolean = () => true) =>
    waitFor(
      () => events.find(([e, p]) => e === event && pred(p as T))?.[1] as T | undefined,
      `${name} to receive ${event}`,
    );
  return { socket, events, seen };
}

type Hello = { presence: Presence[] };

describe("scaled mode: the live channel across processes", () => {
  it("a user on A sees a user who joined through B, and a newcomer on B is greeted with the people on A", async () => {
    const alice = join(a, "Alice");
    await alice.seen("hello");
    const bob = join(b, "Bob");
    const bobHello = await bob.seen<Hello>("hello");
    expect(bobHello.presence.map((p) => p.user.name).sort()).toEqual(["Alice", "Bob"]);
    await alice.seen<Presence>("presence:changed", (p) => p.user.name === "Bob");
    // What A answers over REST is the cluster's presence too.
    const listed = (await call(`${a.url}/datasets/${DS}/presence`)).body as Presence[];
    expect(listed.map((p) => p.user.name).sort()).toEqual(["Alice", "Bob"]);

    // A presence update and a follow across the processes.
    const followed = await ack<{ recordId: string | null }>((cb) =>
      bob.socket.emit("follow:set", { userId: "guest:alice" }, cb),
    );
    expect(followed.recordId).toBeNull();
    alice.socket.emit("presence:update", { recordId: "r2", tool: "bbox", frame: null });
    expect((await bob.seen<{ recordId: string }>("follow:moved")).recordId).toBe("r2");
    await bob.seen<Presence>("presence:changed", (p) => p.user.name === "Alice" && p.recordId === "r2");

    bob.socket.disconnect();
    await alice.seen<{ userId: string }>("presence:left", (p) => p.userId === "guest:bob");
    const carol = join(a, "Carol");
    const carolHello = await carol.seen<Hello>("hello");
    expect(carolHello.presence.map((p) => p.user.name).sort()).toEqual(["Alice", "Carol"]);
    alice.socket.disconnect();
    carol.socket.disconnect();
  });

  it("the people of a SIGKILLed process leave the presence newcomers are greeted with", async () => {
    const c = await spawnServer(data.dataDir, { TESSERA_REDIS_URL: redis.url });
    try {
      const dave = join(c, "Dave");
      await dave.seen("hello");
      const erin = join(a, "Erin");
      expect((await erin.seen<Hello>("hello")).presence.map((p) => p.user.name)).toContain("Dave");
      await c.kill("SIGKILL");
      // Once C's heartbeat expired (5 s), nobody is greeted with Dave.
      const started = Date.now();
      await waitFor(
        async () => {
          const listed = (await call(`${b.url}/datasets/${DS}/presence`)).body as Presence[];
          return listed.some((p) => p.user.name === "Dave") ? undefined : true;
        },
        "Dave dropped from the cluster's presence",
        15_000,
      );
      console.log(
        `presence of a SIGKILLed process dropped after ${Date.now() - started} ms; load ${os.loadavg()[0]?.toFixed(2)}`,
      );
      const frank = join(b, "Frank");
      expect((await frank.seen<Hello>("hello")).presence.map((p) => p.user.name)).not.toContain("Dave");
      erin.socket.disconnect();
      frank.socket.disconnect();
    } finally {
      await c.kill("SIGKILL");
    }
  });

  it("a status change and its activity entry made through A reach a client on B", async () => {
    const ann = join(a, "Ann");
    await ann.seen("hello");
    const rita = join(b, "Rita", "reviewer");
    await rita.seen("hello");
    const change = await ack<StatusChange>((cb) =>
      ann.socket.emit("record:transition", { recordId: "r3", action: "edit" }, cb),
    );
    expect(change.to).toBe("inProgress");
    await rita.seen<StatusChange>("record:status", (s) => s.recordId === "r3" && s.to === "inProgress");
    await rita.seen<ActivityEntry>("activity", (e) => e.recordId === "r3" && e.kind === "status");
    // B's feed lists the entry A wrote.
    const listed = await ack<ActivityEntry[]>((cb) => rita.socket.emit("activity:list", { recordId: "r3" }, cb));
    expect(listed.some((e) => e.kind === "status" && e.user.name === "Ann")).toBe(true);
    ann.socket.disconnect();
    rita.socket.disconnect();
  });

  it("an assignment made through A is listed by B and announced to B's live clients", async () => {
    const lead = join(b, "Lead", "admin");
    await lead.seen("hello");
    // B has read the dataset's assignments before A writes.
    expect(((await call(`${b.url}/datasets/${DS}/assignments`)).body as { items: unknown[] }).items).toEqual([]);
    const assigned = await call(
      `${a.url}/datasets/${DS}/assignments`,
      jsonInit("POST", { record_ids: ["r1", "r2"], annotators: ["alice"] }),
    );
    expect(assigned.status).toBe(200);
    const onB = (await call(`${b.url}/datasets/${DS}/assignments`)).body as { items: Array<{ record_id: string }> };
    expect(onB.items.map((x) => x.record_id).sort()).toEqual(["r1", "r2"]);
    await lead.seen<{ change: string; record_ids: string[] }>("assign:changed", (e) => e.change === "assigned");
    lead.socket.disconnect();
  });

  it("a review comment posted on A shows on B: B's REST list and B's live clients", async () => {
    const rita = join(b, "Rita", "reviewer");
    await rita.seen("hello");
    // B reads the record's threads first: its copy of the dataset's review log is loaded before A writes.
    expect((await call(`${b.url}/datasets/${DS}/records/r1/review/threads`)).body).toEqual([]);
    const posted = await call(
      `${a.url}/datasets/${DS}/records/r1/review/threads`,
      jsonInit("POST", { text: "the box is loose" }),
    );
    expect(posted.status).toBe(201);
    const thread = posted.body as ReviewThread;
    const onB = (await call(`${b.url}/datasets/${DS}/records/r1/review/threads`)).body as ReviewThread[];
    expect(onB.map((t) => t.id)).toEqual([thread.id]);
    await rita.seen<{ thread: ReviewThread }>("review:thread", (e) => e.thread.id === thread.id);
    // A reply through B lands on the thread A opened (B's check sees A's append), and A lists it.
    const reply = await call(
      `${b.url}/datasets/${DS}/records/r1/review/threads/${thread.id}/replies`,
      jsonInit("POST", { text: "tightened" }),
    );
    expect(reply.status).toBe(201);
    const onA = (await call(`${a.url}/datasets/${DS}/records/r1/review/threads`)).body as ReviewThread[];
    expect(onA[0]?.messages.map((m) => m.text)).toEqual(["the box is loose", "tightened"]);
    rita.socket.disconnect();
  });

  it("offline tools see every process serving the directory: one that stops leaves the others' server locks", async () => {
    const c = await spawnServer(data.dataDir, { TESSERA_REDIS_URL: redis.url });
    try {
      expect((await runningServers(data.dataDir)).map((x) => x.url).sort()).toEqual([a.url, b.url, c.url].sort());
    } finally {
      await c.stop();
    }
    // What `tessera data import --mode overwrite` asks: still served, by A or B.
    expect([a.url, b.url]).toContain((await runningServer(data.dataDir))?.url);
    expect((await runningServers(data.dataDir)).map((x) => x.url).sort()).toEqual([a.url, b.url].sort());
  });
});

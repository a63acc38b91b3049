import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { colorOf, USER_PALETTE } from "../../src/sync/index.js";
import { buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";
import { connect, rawSocket, startSyncServer, waitFor, type TestClient, type TestServer } from "./support/harness.js";
import { decodeFrame, encodeAwarenessFrame, MessageType } from "@tessera/shared-crdt";
import { decodeAwarenessUpdate } from "../../src/sync/awarenessCodec.js";
import * as encoding from "lib0/encoding";
import { DEFAULT_LIMITS } from "../../src/sync/limits.js";
import { ManualClock } from "./support/ManualClock.js";

let data: SyncTestData;
let server: TestServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  data = await buildSyncDataDir();
  server = await startSyncServer(data.dataDir);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.close();
  await data?.cleanup();
});

function client(recordId: string, name: string, role?: string): TestClient {
  const c = connect(server, DS, recordId, { name, role });
  clients.push(c);
  return c;
}

type State = { user?: { id: string; name: string; color: string; role: string }; cursor?: { x: number; y: number } };

/** Every awareness entry the client received from the server. */
function echoedStates(c: TestClient) {
  return c.sink.frames
    .filter((f) => f[0] === MessageType.awareness)
    .flatMap((f) => {
      const m = decodeFrame(f);
      return m.type === "awareness" ? decodeAwarenessUpdate(m.update) : [];
    });
}

function stateOf(observer: TestClient, of: TestClient): State | undefined {
  return observer.provider.awareness.getStates().get(of.doc.clientID) as State | undefined;
}

describe("awareness", () => {
  it("is relayed with the server's identity stamped over what the client claims", async () => {
    const alice = client("r2", "alice");
    const bob = client("r2", "bob", "reviewer");
    await Promise.all([alice.synced(), bob.synced()]);
    alice.provider.awareness.setLocalState({
      user: { id: "guest:bob", name: "bob", color: "#000000", role: "admin" },
      cursor: { x: 3, y: 4 },
    });
    const seen = await waitFor(
      () => stateOf(bob, alice)?.cursor?.x === 3 && stateOf(bob, alice),
      "alice's cursor at bob",
    );
    expect(seen.user).toEqual({ id: "guest:alice", name: "alice", color: colorOf("guest:alice"), role: "annotator" });
    expect(USER_PALETTE).toContain(seen.user?.color);
    // The sender gets its own (stamped) state back: the echo that keeps stock clients' liveness timer alive.
    await waitFor(
      () =>
        echoedStates(alice).some(
          (st) => st.clientID === alice.doc.clientID && (st.state as State | null)?.user?.name === "alice",
        ),
      "alice's own stamped state echoed",
    );
    // Bob's state carries his identity too.
    bob.provider.awareness.setLocalStateField("cursor", { x: 1, y: 1 });
    const bobAtAlice = await waitFor(() => stateOf(alice, bob)?.cursor && stateOf(alice, bob), "bob's cursor at alice");
    expect(bobAtAlice.user).toMatchObject({ id: "guest:bob", name: "bob", role: "reviewer" });
  });

  it("removes a client that vanished without a goodbye well under 30 s", async () => {
    const carol = client("r3", "carol");
    const dave = client("r3", "dave");
    await Promise.all([carol.synced(), dave.synced()]);
    carol.provider.awareness.setLocalStateField("cursor", { x: 9, y: 9 });
    await waitFor(() => stateOf(dave, carol)?.cursor, "carol seen by dave");
    const t0 = Date.now();
    carol.drop();
    await waitFor(() => stateOf(dave, carol) === undefined, "carol's state removed at dave", 5_000);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("answers query-awareness with every state, and never lets one connection overwrite another's client id", async () => {
    const erin = client("r4", "erin");
    await erin.synced();
    erin.provider.awareness.setLocalStateField("cursor", { x: 5, y: 5 });
    const room = server.sync.rooms.loaded(DS, "r4")!;
    await waitFor(
      () => (room.relay.awareness.getStates().get(erin.doc.clientID) as State | undefined)?.cursor,
      "erin's state at the server",
    );
    const raw = rawSocket(server, `/sync/${DS}/r4?name=mallory`);
    const frames: Uint8Array[] = [];
    raw.ws.on("message", (d: Buffer) => frames.push(new Uint8Array(d)));
    await raw.opened;
    // Mallory claims Erin's awareness client id with a newer clock.
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint(e, erin.doc.clientID);
    encoding.writeVarUint(e, 999);
    encoding.writeVarString(e, JSON.stringify({ cursor: { x: 0, y: 0 } }));
    raw.ws.send(encodeAwarenessFrame(encoding.toUint8Array(e)));
    raw.ws.send(Uint8Array.of(3));
    // The reply to [3] is an awareness frame that includes Erin's real state.
    await waitFor(() => frames.filter((f) => f[0] === 1).length >= 2, "awareness frames to the raw client");
    expect((room.relay.awareness.getStates().get(erin.doc.clientID) as State).cursor).toEqual({ x: 5, y: 5 });
    expect((stateOf(erin, erin) as State).cursor).toEqual({ x: 5, y: 5 });
    raw.ws.close();
    await raw.closed;
  });
});

/** Awareness coalescing runs on the endpoint's clock: this test owns it, so the frame count is exact. */
describe("awareness on an injected clock", () => {
  const clock = new ManualClock();
  let timedData: SyncTestData;
  let timed: TestServer;

  beforeAll(async () => {
    timedData = await buildSyncDataDir();
    timed = await startSyncServer(timedData.dataDir, { clock });
  });

  afterAll(async () => {
    await timed?.close();
    await timedData?.cleanup();
  });

  it("relays an idle room's change at once, coalesces the rest of a burst into one frame per awarenessCoalesceMs and drops states over the size cap", async () => {
    const fast = connect(timed, DS, "r5", { name: "fast" });
    const watcher = connect(timed, DS, "r5", { name: "watch" });
    clients.push(fast, watcher);
    await Promise.all([fast.synced(), watcher.synced()]);
    const room = timed.sync.rooms.loaded(DS, "r5")!;
    /** The server's copy of fast's cursor (what arrived, relayed or not). */
    const atServer = () => (room.relay.awareness.getStates().get(fast.doc.clientID) as State | undefined)?.cursor?.x;
    const framesAtWatcher = () => watcher.sink.frames.filter((f) => f[0] === MessageType.awareness).length;

    fast.provider.awareness.setLocalStateField("cursor", { x: 0, y: 0 });
    await waitFor(() => atServer() === 0, "first cursor at the server");
    await clock.advance(DEFAULT_LIMITS.awarenessCoalesceMs);
    await waitFor(() => stateOf(watcher, fast)?.cursor, "first cursor");

    const framesBefore = framesAtWatcher();
    for (let i = 1; i <= 20; i++) fast.provider.awareness.setLocalStateField("cursor", { x: i, y: i });
    await waitFor(() => atServer() === 20, "the whole burst at the server");
    // The room was idle: the burst's first change went out at once (leading edge)…
    await waitFor(() => framesAtWatcher() - framesBefore === 1, "the burst's first change, relayed at once");
    // …the rest is held until the coalescing time passes on the endpoint's clock…
    await clock.advance(DEFAULT_LIMITS.awarenessCoalesceMs - 1);
    expect(framesAtWatcher() - framesBefore).toBe(1);
    // …then the latest state goes out once.
    await clock.advance(1);
    await waitFor(() => stateOf(watcher, fast)?.cursor?.x === 20, "last cursor");
    expect(framesAtWatcher() - framesBefore).toBe(2);

    // A state over 4 KB never reaches the others.
    fast.provider.awareness.setLocalStateField("blob", "x".repeat(5_000));
    fast.provider.awareness.setLocalStateField("blob", null);
    fast.provider.awareness.setLocalStateField("cursor", { x: 99, y: 99 });
    await waitFor(() => atServer() === 99, "cursor after the big state at the server");
    await clock.advance(DEFAULT_LIMITS.awarenessCoalesceMs);
    await waitFor(() => stateOf(watcher, fast)?.cursor?.x === 99, "cursor after the big state");
    expect(timed.logs.some((l) => l.message === "awareness state over the size cap dropped")).toBe(true);
    expect(echoedStates(watcher).some((st) => JSON.stringify(st.state).length > 4_096)).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { MessageType, readRows, SyncType } from "@tessera/shared-crdt";
import { DEFAULT_LIMITS } from "../../src/sync/limits.js";
import { ManualClock } from "./support/ManualClock.js";
import { BIG, BIG_ROWS, buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";
import { connect, roomEvent, startSyncServer, waitFor, type TestClient, type TestServer } from "./support/harness.js";

let data: SyncTestData;
let server: TestServer;
const clients: TestClient[] = [];
/** Idle unload fires when the test moves this clock, never on the wall clock. */
const clock = new ManualClock();

beforeAll(async () => {
  data = await buildSyncDataDir();
  server = await startSyncServer(data.dataDir, { clock, limits: { flushDebounceMs: 50, flushMaxWaitMs: 200 } });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.close();
  await data?.cleanup();
});

function client(name: string, recordId = BIG): TestClient {
  const c = connect(server, DS, recordId, { name, tessera: true });
  clients.push(c);
  return c;
}

/** Index of the first frame of `c` that `is` matches (-1: none). */
function firstFrame(c: TestClient, is: (f: Uint8Array) => boolean): number {
  return c.sink.frames.findIndex(is);
}

const isStep2 = (f: Uint8Array) => f[0] === MessageType.sync && f[1] === SyncType.step2;
const isWelcome = (f: Uint8Array) => f[0] === MessageType.tessera;

async function unloadAfter(c: TestClient, recordId = BIG): Promise<void> {
  const gone = roomEvent(server, "leave", (e) => e.recordId === recordId);
  c.destroy();
  await gone;
  const before = server.events.filter((e) => e.name === "unloaded").length;
  await clock.advance(DEFAULT_LIMITS.idleUnloadMs);
  await waitFor(() => server.events.filter((e) => e.name === "unloaded").length > before, "the room unloaded");
}

describe("cold join from a snapshot: the joiner's step 1 is answered from the stored bytes before they are decoded", () => {
  it("a joiner of an unloaded record gets its step 2 before the room is ready (before its welcome), with the whole document", async () => {
    // First load: built from rows, its snapshot saved; then unloaded.
    const first = client("first");
    await first.synced();
    expect(readRows(first.doc, "bboxes")).toHaveLength(BIG_ROWS + 1);
    await unloadAfter(first);
    expect(server.sync.rooms.loaded(DS, BIG)).toBeNull();

    const cold = client("cold");
    await cold.synced();
    await waitFor(() => firstFrame(cold, isWelcome) >= 0, "the welcome");
    // Answered during the load: the step 2 came before the room admitted the connection.
    expect(firstFrame(cold, isStep2)).toBeLessThan(firstFrame(cold, isWelcome));
    expect(readRows(cold.doc, "bboxes")).toHaveLength(BIG_ROWS + 1);
    // It is a member of the room like any joiner: the room's step 1 came after, and no second step 2 for it.
    expect(cold.sink.frames.filter(isStep2)).toHaveLength(1);
    const room = server.sync.rooms.loaded(DS, BIG);
    expect(room?.connections.size).toBe(1);
    expect(room?.fullStateEncodings).toBe(0);
  });

  it("a snapshot not known to hold only the record layout (saved before the flag) is never served as it is: the junk it holds is cleared first", async () => {
    const recordId = "r0";
    const first = client("first-r0", recordId);
    await first.synced();
    await unloadAfter(first, recordId);
    // Replace the snapshot by one from before the rule: content outside the layout, no `layoutOnly`.
    const key = { datasetId: DS, recordId };
    const stored = await server.snapshots.load(key);
    expect(stored?.layoutOnly).toBe(true);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, stored!.state);
    doc.getMap("junk").set("blob", "JUNK-MARKER");
    const { layoutOnly: _dropped, ...old } = stored!;
    await server.snapshots.save(key, { ...old, state: Y.encodeStateAsUpdate(doc) });
    doc.destroy();

    const cold = client("cold-r0", recordId);
    await cold.synced();
    await waitFor(() => firstFrame(cold, isWelcome) >= 0, "the welcome");
    expect(firstFrame(cold, isStep2)).toBeGreaterThan(firstFrame(cold, isWelcome));
    expect(cold.doc.getMap("junk").size).toBe(0);
    for (const f of cold.sink.frames) expect(Buffer.from(f).includes("JUNK-MARKER")).toBe(false);
  });
});

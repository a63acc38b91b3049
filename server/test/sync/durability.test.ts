import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { readRecord, readRows, restOrigin, writeRowCells } from "@tessera/shared-crdt";
import { DEFAULT_LIMITS } from "../../src/sync/limits.js";
import { ManualClock } from "./support/ManualClock.js";
import { buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";
import {
  connect,
  docOf,
  hasContentFrom,
  roomEvent,
  startSyncServer,
  waitFor,
  type TestClient,
  type TestServer,
} from "./support/harness.js";

let data: SyncTestData;
let server: TestServer;
const clients: TestClient[] = [];
/**
 * The endpoint's clock belongs to these tests: flush debounce, retry backoff and idle unload fire
 * when a test moves time past them, never on the wall clock. Waits below are for I/O (sockets,
 * fsync, LanceDB), not for timers.
 */
const clock = new ManualClock();
const DEBOUNCE_MS = 50;
const { idleUnloadMs: UNLOAD_MS, retryBaseMs: RETRY_MS } = DEFAULT_LIMITS;

beforeAll(async () => {
  data = await buildSyncDataDir();
  server = await startSyncServer(data.dataDir, {
    clock,
    limits: { flushDebounceMs: DEBOUNCE_MS, flushMaxWaitMs: 200 },
  });
});

/** The last client of `recordId` is gone: its room's idle-unload timer is armed. */
const left = (recordId: string) => roomEvent(server, "leave", (e) => e.recordId === recordId);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.close();
  await data?.cleanup();
});

function client(recordId: string, name: string, tessera = false): TestClient {
  const c = connect(server, DS, recordId, { name, tessera });
  clients.push(c);
  return c;
}

function entity(doc: Y.Doc, recordId: string, id: string): void {
  doc.transact(() => writeRowCells(doc, "entities", { id, record_id: recordId, parent_id: "", category: "x" }));
}

const echoed = (c: TestClient) =>
  c.sink.updates().some((u) => u.subtype === 2 && hasContentFrom(u.update, c.doc.clientID));

describe("durability", () => {
  it("relays an update to others at once but echoes it to its sender (and confirms) only after the log append", async () => {
    const a = client("r10", "alice", true);
    const b = client("r10", "bob");
    await Promise.all([a.synced(), b.synced()]);
    const confirmations = () => a.sink.tessera().filter((m) => m.kind === "confirmed");
    // The (empty) step 2 that answered the server's step 1 is confirmed first.
    await waitFor(() => confirmations().length === 1, "step 2 confirmed");
    server.log.hold();
    entity(a.doc, "r10", "held");
    await waitFor(
      () => readRows(b.doc, "entities").some((r) => r.id === "held"),
      "bob sees the edit before it is durable",
    );
    await waitFor(() => server.log.waiting > 0, "the append waiting for its fsync");
    try {
      expect(echoed(a)).toBe(false);
      expect(confirmations()).toHaveLength(1);
    } finally {
      server.log.release();
    }
    await waitFor(() => echoed(a), "echo after the append");
    await waitFor(() => confirmations().length === 2, "confirmation after the append");
    expect(confirmations().at(-1)).toEqual({ kind: "confirmed", count: 2 });
  });

  it("retries a failed log append with backoff and confirms only once it succeeded", async () => {
    const a = client("r8", "gus", true);
    await a.synced();
    const confirmations = () => a.sink.tessera().filter((m) => m.kind === "confirmed").length;
    await waitFor(() => confirmations() === 1, "step 2 confirmed");
    // A first edit starts the record (W1, an append of its own): the failures below hit one append.
    entity(a.doc, "r8", "starts-it");
    await waitFor(() => confirmations() === 2 && echoed(a), "first edit confirmed");
    const echoes = () =>
      a.sink.updates().filter((u) => u.subtype === 2 && hasContentFrom(u.update, a.doc.clientID)).length;
    const echoesBefore = echoes();
    server.log.failures = 2;
    entity(a.doc, "r8", "after-eio");
    const failed = () =>
      server.logs.filter((l) => l.message === "log append failed; retrying" && l.context?.recordId === "r8").length;
    await waitFor(() => failed() === 1, "first failed append logged");
    // The backoff runs on the endpoint's clock: no retry until the test moves time past it.
    await clock.advance(RETRY_MS - 1);
    expect(failed()).toBe(1);
    await clock.advance(1);
    await waitFor(() => failed() === 2, "second failed append logged");
    expect(echoes()).toBe(echoesBefore);
    await clock.advance(2 * RETRY_MS);
    await waitFor(() => echoes() > echoesBefore, "echo once the append succeeded");
    expect(server.log.failures).toBe(0);
    expect(confirmations()).toBe(3);
    const tail = await server.log.read({ datasetId: DS, recordId: "r8" });
    const snap = await server.snapshots.load({ datasetId: DS, recordId: "r8" });
    expect(readRows(docOf([snap!.state, ...tail.map((e) => e.update)]), "entities").map((r) => r.id)).toContain(
      "after-eio",
    );
  });

  it("flushes and unloads a record once its last client left, and a rejoin sees everything", async () => {
    const key = { datasetId: DS, recordId: "r11" };
    const a = client("r11", "carl");
    await a.synced();
    entity(a.doc, "r11", "kept-1");
    entity(a.doc, "r11", "kept-2");
    await waitFor(() => echoed(a) && server.sync.rooms.loaded(DS, "r11")?.durable.idle, "edits durable");
    const gone = left("r11");
    a.destroy();
    await gone;
    // Unloads once the idle time passed on the endpoint's clock, not before.
    await clock.advance(UNLOAD_MS - 1);
    expect(server.sync.rooms.loaded(DS, "r11")).not.toBeNull();
    await clock.advance(1);
    await roomEvent(server, "unloaded", (e) => e.recordId === "r11");
    expect(server.sync.rooms.loaded(DS, "r11")).toBeNull();
    const flushed = server.events.filter((e) => e.name === "flushed" && e.payload.recordId === "r11");
    expect(flushed.length).toBeGreaterThan(0);
    // Everything is in the snapshot; the log was trimmed.
    expect(await server.log.read(key)).toEqual([]);
    const snap = await server.snapshots.load(key);
    expect(readRows(docOf([snap!.state]), "entities").map((r) => r.id)).toEqual(
      expect.arrayContaining(["kept-1", "kept-2", "ent-r11"]),
    );

    // …and in the Pixano rows: the persist path wrote them to LanceDB.
    const dataset = await server.library.open(DS);
    const rows = await dataset.query("entities", { where: { record_id: "r11" } });
    expect(rows.items.map((r) => r.id).sort()).toEqual(["ent-r11", "kept-1", "kept-2"]);
    expect((await dataset.get("records", "r11"))?.status).toBe("inProgress");

    const again = client("r11", "carl");
    await again.synced();
    expect(
      readRows(again.doc, "entities")
        .map((r) => r.id)
        .sort(),
    ).toEqual(["ent-r11", "kept-1", "kept-2"]);
    expect(readRecord(again.doc).status).toBe("inProgress");
    expect(server.events.filter((e) => e.name === "loaded" && e.payload.recordId === "r11")).toHaveLength(2);
  });

  it("keeps a record loaded while its flush fails, retries, then unloads", async () => {
    const a = client("r6", "dora");
    await a.synced();
    const flushesBefore = server.persister.flushes;
    server.persister.failures = 2;
    entity(a.doc, "r6", "retry-me");
    await waitFor(() => echoed(a), "durable");
    const failed = () =>
      server.logs.filter(
        (l) => l.level === "error" && l.message === "flush failed; retrying" && l.context?.recordId === "r6",
      ).length;
    await clock.advance(DEBOUNCE_MS);
    await waitFor(() => failed() === 1, "the debounced flush failed once");
    expect(server.persister.failures).toBe(1);
    const gone = left("r6");
    a.destroy();
    await gone;
    await clock.advance(RETRY_MS);
    await waitFor(() => failed() === 2, "the first retry failed too");
    // The second retry (after 2 × RETRY_MS) succeeds, and the idle unload (UNLOAD_MS) follows it.
    expect(server.sync.rooms.loaded(DS, "r6")).not.toBeNull();
    await clock.advance(UNLOAD_MS);
    await roomEvent(server, "unloaded", (e) => e.recordId === "r6");
    expect(server.persister.failures).toBe(0);
    expect(server.persister.flushes).toBeGreaterThan(flushesBefore);
    expect(
      server.logs.filter((l) => l.message === "flush failed; retrying" && l.context?.recordId === "r6"),
    ).toHaveLength(2);
    const snap = await server.snapshots.load({ datasetId: DS, recordId: "r6" });
    expect(readRows(docOf([snap!.state]), "entities").map((r) => r.id)).toContain("retry-me");
  });

  it("keeps serving a record from memory when someone joins during its final flush", async () => {
    const a = client("r9", "eve");
    await a.synced();
    entity(a.doc, "r9", "before-leave");
    await waitFor(() => echoed(a), "durable");
    await clock.advance(DEBOUNCE_MS);
    await waitFor(() => !server.sync.rooms.loaded(DS, "r9")?.flusher.dirty, "debounced flush done");
    entity(a.doc, "r9", "last-edit");
    await waitFor(
      () => a.sink.updates().filter((u) => u.subtype === 2 && hasContentFrom(u.update, a.doc.clientID)).length >= 2,
      "second echo",
    );
    server.persister.hold();
    const gone = left("r9");
    a.destroy();
    await gone;
    await clock.advance(UNLOAD_MS);
    await waitFor(() => server.persister.waiting > 0, "final flush waiting");
    const b = client("r9", "fay");
    try {
      await b.synced();
      expect(readRows(b.doc, "entities").map((r) => r.id)).toEqual(
        expect.arrayContaining(["before-leave", "last-edit"]),
      );
    } finally {
      server.persister.release();
    }
    await waitFor(() => !server.sync.rooms.loaded(DS, "r9")?.flusher.dirty, "final flush done");
    expect(server.sync.rooms.loaded(DS, "r9")).not.toBeNull();
    expect(server.events.filter((e) => e.name === "loaded" && e.payload.recordId === "r9")).toHaveLength(1);
    expect(server.events.some((e) => e.name === "unloaded" && e.payload.recordId === "r9")).toBe(false);
    const bGone = roomEvent(server, "leave", (e) => e.recordId === "r9" && e.name === "fay");
    b.destroy();
    await bGone;
    await clock.advance(UNLOAD_MS);
    await roomEvent(server, "unloaded", (e) => e.recordId === "r9");
  });

  it("folds logs left behind (a crash) into snapshots and rows at start-up", async () => {
    const key = { datasetId: DS, recordId: "r7" };
    // A first load saves the record's snapshot (built from its rows).
    await server.sync.rooms.withRecord(DS, "r7", restOrigin("u-api"), () => undefined);
    await clock.advance(UNLOAD_MS);
    await roomEvent(server, "unloaded", (e) => e.recordId === "r7");
    // What a crash leaves: an update in the log that no flush folded.
    const writer = new Y.Doc();
    Y.applyUpdate(writer, (await server.snapshots.load(key))!.state);
    const sv = Y.encodeStateVector(writer);
    writer.transact(() =>
      writeRowCells(writer, "entities", { id: "from-the-log", record_id: "r7", parent_id: "", category: "x" }),
    );
    await server.log.append(key, Y.encodeStateAsUpdate(writer, sv));
    expect(await server.sync.rooms.flushPending()).toEqual({ flushed: 1, failed: 0 });
    expect(await server.log.read(key)).toEqual([]);
    const dataset = await server.library.open(DS);
    expect((await dataset.query("entities", { where: { record_id: "r7" } })).items.map((r) => r.id).sort()).toEqual([
      "ent-r7",
      "from-the-log",
    ]);
  });
});

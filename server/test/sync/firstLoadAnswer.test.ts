import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Y from "yjs";
import { FileSnapshotStore, type RecordKey, type RecordSnapshot, type SnapshotStore } from "@tessera/storage";
import { CloseCode, readRows, writeRowCells } from "@tessera/shared-crdt";
import { ManualClock } from "./support/ManualClock.js";
import { BIG, BIG_ROWS, buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";
import { connect, docOf, startSyncServer, waitFor, type TestClient, type TestServer } from "./support/harness.js";
import { buildDataDir, liveClient, spawnServer, type LiveClient, type ServerProcess } from "../integration/support.js";

/**
 * The real file snapshot store with a gate on `save`: a closed gate holds every save before it
 * reaches the disk (the first snapshot "takes forever") until the test opens it, or makes the
 * held saves fail like a broken disk would. What happened, in order, goes to `trace`.
 */
class GatedSnapshots implements SnapshotStore {
  private gate: { promise: Promise<void>; open: () => void; fail: (err: Error) => void } | null = null;
  waiting = 0;
  constructor(
    private readonly inner: SnapshotStore,
    private readonly trace: string[],
  ) {}
  hold(): void {
    let open!: () => void;
    let fail!: (err: Error) => void;
    const promise = new Promise<void>((resolve, reject) => {
      open = resolve;
      fail = reject;
    });
    // Saves that never reach the gate must not leave an unhandled rejection behind.
    promise.catch(() => undefined);
    this.gate = { promise, open, fail };
  }
  release(): void {
    this.gate?.open();
    this.gate = null;
  }
  failHeld(): void {
    this.gate?.fail(new Error("EIO: disk trouble"));
    this.gate = null;
  }
  load(key: RecordKey): Promise<RecordSnapshot | null> {
    return this.inner.load(key);
  }
  async save(key: RecordKey, snapshot: RecordSnapshot): Promise<void> {
    const gate = this.gate;
    if (gate) {
      this.waiting++;
      try {
        await gate.promise;
      } finally {
        this.waiting--;
      }
    }
    await this.inner.save(key, snapshot);
    this.trace.push(`saved ${key.recordId}`);
  }
  delete(key: RecordKey): Promise<void> {
    return this.inner.delete(key);
  }
}

let data: SyncTestData;
let server: TestServer;
let snapshots: GatedSnapshots;
const trace: string[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  data = await buildSyncDataDir();
  snapshots = new GatedSnapshots(new FileSnapshotStore({ dataDir: data.dataDir }), trace);
  server = await startSyncServer(data.dataDir, {
    clock: new ManualClock(),
    snapshots,
    limits: { flushDebounceMs: 50, flushMaxWaitMs: 200 },
  });
  server.sync.rooms.on("edit", (e) => trace.push(`edit ${e.recordId}`));
  server.sync.rooms.on("loaded", (e) => trace.push(`loaded ${e.recordId}`));
});

afterAll(async () => {
  snapshots?.release();
  for (const c of clients) c.destroy();
  await server?.close();
  await data?.cleanup();
});

function client(name: string, recordId: string): TestClient {
  const c = connect(server, DS, recordId, { name, tessera: true });
  clients.push(c);
  return c;
}

function entity(doc: Y.Doc, recordId: string, id: string): void {
  doc.transact(() => writeRowCells(doc, "entities", { id, record_id: recordId, parent_id: "", category: "x" }));
}

const confirmations = (c: TestClient) => c.sink.tessera().filter((m) => m.kind === "confirmed").length;
const closeCodes = (c: TestClient) => {
  const codes: number[] = [];
  c.provider.on("connection-close", (event) => {
    if (event) codes.push(event.code);
  });
  return codes;
};

describe("first load of a never-opened record: joiners answered before the first snapshot is durable, edits only after", () => {
  it("the joiner of a record with no snapshot gets its step 2 while the first snapshot's save is held", async () => {
    const key = { datasetId: DS, recordId: BIG };
    expect(await snapshots.load(key)).toBeNull();
    snapshots.hold();
    const a = client("first", BIG);
    try {
      await a.answered();
      // Answered with the whole document built from the rows, while the save waits at the gate.
      expect(readRows(a.doc, "bboxes")).toHaveLength(BIG_ROWS + 1);
      expect(snapshots.waiting).toBe(1);
      expect(await snapshots.load(key)).toBeNull();
      expect(server.sync.rooms.loaded(DS, BIG)).toBeNull();
    } finally {
      snapshots.release();
    }
    await waitFor(() => server.sync.rooms.loaded(DS, BIG), "the room ready after the save");
    expect(trace.indexOf(`saved ${BIG}`)).toBeLessThan(trace.indexOf(`loaded ${BIG}`));
  });

  it("an edit sent while the first snapshot is being saved is applied and logged only after the save, on its structs", async () => {
    const recordId = "r1";
    const key = { datasetId: DS, recordId };
    snapshots.hold();
    const a = client("editor", recordId);
    const b = client("watcher", recordId);
    try {
      await Promise.all([a.answered(), b.answered()]);
      entity(a.doc, recordId, "held-edit");
      // The edit's frame reaches the server and waits in the connection's intake: give the server
      // every chance to apply it (its frame goes out at once; several event-loop turns pass here).
      await waitFor(() => snapshots.waiting === 1 && a.provider.wsconnected, "the editor connected, save held");
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(trace).not.toContain(`edit ${recordId}`);
      expect(await server.log.read(key)).toHaveLength(0);
      expect(readRows(b.doc, "entities").map((r) => r.id)).not.toContain("held-edit");
      expect(confirmations(a)).toBe(0);
    } finally {
      snapshots.release();
    }
    await waitFor(() => readRows(b.doc, "entities").some((r) => r.id === "held-edit"), "the edit relayed");
    await waitFor(() => confirmations(a) >= 2, "the edit confirmed");
    expect(trace.indexOf(`saved ${recordId}`)).toBeGreaterThanOrEqual(0);
    expect(trace.indexOf(`saved ${recordId}`)).toBeLessThan(trace.indexOf(`edit ${recordId}`));
    // The log applies on top of the first snapshot: every later load sees the edit.
    const snap = await snapshots.load(key);
    const log = await server.log.read(key);
    const rebuilt = docOf([snap!.state, ...log.map((e) => e.update)]);
    expect(readRows(rebuilt, "entities").map((r) => r.id)).toEqual(
      expect.arrayContaining([`ent-${recordId}`, "held-edit"]),
    );
    expect(rebuilt.store.pendingStructs).toBeNull();
  });

  it("a failed first save lets no edit through: the joiners are closed, nothing is logged, and a rejoin loads afresh", async () => {
    const recordId = "r2";
    const key = { datasetId: DS, recordId };
    snapshots.hold();
    const a = client("unlucky", recordId);
    const codes = closeCodes(a);
    await a.answered();
    entity(a.doc, recordId, "never-on-unsaved");
    await waitFor(() => snapshots.waiting === 1, "the save held");
    snapshots.failHeld();
    await waitFor(() => codes.length > 0, "the joiner closed");
    expect(codes[0]).toBe(CloseCode.internalError);
    expect(trace).not.toContain(`edit ${recordId}`);
    expect(await server.log.read(key)).toHaveLength(0);
    expect(await snapshots.load(key)).toBeNull();
    // The stock provider reconnects: the record loads again (saved this time), and its edit, sent
    // again with its state, now lands on the saved structs. (Its state also holds the unsaved
    // build's structs: the record status among them may be repaired back, so no "edit" event is
    // promised; the content is.)
    const room = await waitFor(() => server.sync.rooms.loaded(DS, recordId), "the record loaded again");
    await waitFor(
      () => readRows(room.doc, "entities").some((r) => r.id === "never-on-unsaved"),
      "the edit applied after the rejoin",
    );
    const snap = await snapshots.load(key);
    expect(snap).not.toBeNull();
    await waitFor(async () => (await server.log.read(key)).length > 0, "the edit logged");
    const log = await server.log.read(key);
    const rebuilt = docOf([snap!.state, ...log.map((e) => e.update)]);
    expect(rebuilt.store.pendingStructs).toBeNull();
    const ids = readRows(rebuilt, "entities").map((r) => r.id);
    expect(ids).toContain("never-on-unsaved");
    expect(ids.filter((id) => id === `ent-${recordId}`)).toHaveLength(1);
  });
});

describe("a crash (kill -9 of the server process) between a first load's answer and its first snapshot loses nothing confirmed", () => {
  it("edits sent on the answer, the server killed at once and then after a confirmation: every confirmed edit is there after a restart, on a clean first snapshot", async () => {
    const built = await buildDataDir(["crash-a", "crash-b"]);
    const live: LiveClient[] = [];
    let proc: ServerProcess | null = null;
    try {
      // 1. Killed right after the joiner's step 2: the first snapshot's save is at best under way.
      proc = await spawnServer(built.dataDir);
      const a = liveClient(proc, "crash-a", "a");
      live.push(a);
      await a.synced();
      entity(a.doc, "crash-a", "a-sent-at-once");
      await proc.kill("SIGKILL");
      const aConfirmed = a.confirmed();
      a.destroy();

      // 2. Restarted: the record loads (from its snapshot or from rows again); an edit confirmed then killed.
      proc = await spawnServer(built.dataDir);
      const b = liveClient(proc, "crash-b", "b");
      live.push(b);
      await b.synced();
      entity(b.doc, "crash-b", "b-confirmed");
      await waitFor(() => b.confirmed() >= 2, "b's edit confirmed");
      await proc.kill("SIGKILL");
      b.destroy();

      // 3. Everything confirmed is there; no log entry was ever written without its snapshot.
      proc = await spawnServer(built.dataDir);
      const check = liveClient(proc, "crash-b", "checker");
      live.push(check);
      await check.synced();
      expect(readRows(check.doc, "entities").map((r) => r.id)).toContain("b-confirmed");
      const checkA = liveClient(proc, "crash-a", "checker-a");
      live.push(checkA);
      await checkA.synced();
      const aIds = readRows(checkA.doc, "entities").map((r) => r.id);
      // Confirmations count the step-2 reply first: > 1 means the edit itself was confirmed.
      if (aConfirmed > 1) expect(aIds).toContain("a-sent-at-once");
      expect(checkA.doc.store.pendingStructs).toBeNull();
      expect(check.doc.store.pendingStructs).toBeNull();
      expect(proc.logs()).not.toMatch(/without a snapshot/);
    } finally {
      for (const c of live) c.destroy();
      await proc?.stop();
      await built.cleanup();
    }
  });
});

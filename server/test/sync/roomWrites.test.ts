import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  addRow,
  readRecord,
  readRows,
  recordMap,
  restOrigin,
  type DocContext,
  writeRowCells,
} from "@tessera/shared-crdt";
import { RoomEditError, RoomError, WorkflowError, type Identity } from "../../src/sync/index.js";
import { DEFAULT_LIMITS } from "../../src/sync/limits.js";
import { ManualClock } from "./support/ManualClock.js";
import { buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";
import {
  connect,
  docOf,
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
/** The endpoint's clock belongs to these tests: a room unloads when a test moves time past its idle time. */
const clock = new ManualClock();

beforeAll(async () => {
  data = await buildSyncDataDir();
  server = await startSyncServer(data.dataDir, { clock, limits: { flushDebounceMs: 20, flushMaxWaitMs: 100 } });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.close();
  await data?.cleanup();
});

function client(recordId: string, name: string, role?: string): TestClient {
  const c = connect(server, DS, recordId, { name, role, tessera: true });
  clients.push(c);
  return c;
}

const annotator: Identity = { id: "u-ann", name: "Ann", role: "annotator", tessera: false };
const reviewer: Identity = { id: "u-rev", name: "Rev", role: "reviewer", tessera: false };

function ctx(doc: Y.Doc, recordId: string): DocContext {
  let n = 0;
  return { doc, schema: server.sync.rooms.loaded(DS, recordId)!.schema, recordId, newId: () => `rest-${++n}` };
}

describe("RoomManager.withRecord (REST writes through the document)", () => {
  it("applies a valid write, relays it to connected clients, logs it and starts the record (W1)", async () => {
    const c = client("r0", "watcher");
    await c.synced();
    const id = await server.sync.rooms.withRecord(DS, "r0", restOrigin("u-api"), (doc) =>
      addRow(ctx(doc, "r0"), restOrigin("u-api"), "bboxes", {
        entity_id: "ent-r0",
        view_id: "img-r0",
        coords: [0.2, 0.2, 0.1, 0.1],
        format: "xywh",
        is_normalized: true,
      }),
    );
    expect(id).toBe("rest-1");
    await waitFor(() => readRows(c.doc, "bboxes").some((r) => r.id === "rest-1"), "REST box at the client");
    await waitFor(() => readRecord(c.doc).status === "inProgress", "W1 at the client");
    const edit = server.events.find((e) => e.name === "edit" && e.payload.recordId === "r0");
    expect(edit?.payload).toMatchObject({ userId: "u-api", source: "rest", tables: ["bboxes"] });
    const tail = await server.log.read({ datasetId: DS, recordId: "r0" });
    const snap = await server.snapshots.load({ datasetId: DS, recordId: "r0" });
    expect(readRows(docOf([snap!.state, ...tail.map((e) => e.update)]), "bboxes").map((r) => r.id)).toContain("rest-1");
  });

  it("refuses an invalid write with RoomEditError and changes nothing", async () => {
    const room = server.sync.rooms.loaded(DS, "r0")!;
    const before = Y.encodeStateVector(room.doc);
    const err = await server.sync.rooms
      .withRecord(DS, "r0", restOrigin("u-api"), (doc) => {
        doc.getMap("bboxes");
        writeRowCells(doc, "bboxes", { id: "bad", record_id: "r0", entity_id: "ghost", coords: [0, 0, 0, 0, 0] });
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RoomEditError);
    const paths = (err as RoomEditError).issues.map((i) => i.path);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((p) => p.startsWith("bboxes[bad]"))).toBe(true);
    expect(Y.encodeStateVector(room.doc)).toEqual(before);
    const statusWrite = await server.sync.rooms
      .withRecord(DS, "r0", restOrigin("u-api"), (doc) => recordMap(doc).set("status", "validated"))
      .catch((e: unknown) => e);
    expect(statusWrite).toBeInstanceOf(RoomEditError);
    expect(readRecord(room.doc).status).toBe("inProgress");
  });

  it("loads a record nobody has open, and unloads it again after the write is flushed", async () => {
    expect(server.sync.rooms.loaded(DS, "r1")).toBeNull();
    // Consecutive REST writes reuse the room while it idles: one load for all of them.
    for (const id of ["offline-a", "offline-b", "offline-ent"]) {
      await server.sync.rooms.withRecord(DS, "r1", restOrigin("u-api"), (doc) =>
        writeRowCells(doc, "entities", { id, record_id: "r1", parent_id: "", category: "rest" }),
      );
    }
    expect(server.events.filter((e) => e.name === "loaded" && e.payload.recordId === "r1")).toHaveLength(1);
    await clock.advance(DEFAULT_LIMITS.idleUnloadMs - 1);
    expect(server.sync.rooms.loaded(DS, "r1")).not.toBeNull();
    await clock.advance(1);
    await roomEvent(server, "unloaded", (e) => e.recordId === "r1");
    const snap = await server.snapshots.load({ datasetId: DS, recordId: "r1" });
    expect(readRows(docOf([snap!.state]), "entities").map((r) => r.id)).toContain("offline-ent");
  });

  it("writes every REST edit of a room under one Yjs client id (the state vector does not grow per write)", async () => {
    const room = server.sync.rooms.loaded(DS, "r0")!;
    const clientsBefore = Y.decodeStateVector(Y.encodeStateVector(room.doc)).size;
    for (let i = 0; i < 5; i++) {
      await server.sync.rooms.withRecord(DS, "r0", restOrigin("u-api"), (doc) =>
        writeRowCells(doc, "entities", { id: `bulk-${i}`, record_id: "r0", parent_id: "", category: "rest" }),
      );
    }
    expect(readRows(room.doc, "entities").filter((r) => String(r.id).startsWith("bulk-"))).toHaveLength(5);
    expect(Y.decodeStateVector(Y.encodeStateVector(room.doc)).size).toBeLessThanOrEqual(clientsBefore + 1);
  });

  it("throws RoomError not_found for unknown records", async () => {
    const err = await server.sync.rooms
      .withRecord(DS, "nope", restOrigin("u"), () => undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RoomError);
    expect((err as RoomError).status).toBe(404);
  });
});

describe("RoomManager.applyWorkflow", () => {
  it("submits, rejects with a comment, approves; rights of live connections follow the status", async () => {
    const ann = client("r2", "ann");
    await ann.synced();
    ann.doc.transact(() =>
      writeRowCells(ann.doc, "entities", { id: "e1", record_id: "r2", parent_id: "", category: "x" }),
    );
    await waitFor(() => readRecord(ann.doc).status === "inProgress", "W1");

    expect(await server.sync.rooms.applyWorkflow(DS, "r2", "submit", annotator)).toEqual({
      from: "inProgress",
      to: "inReview",
    });
    await waitFor(() => readRecord(ann.doc).status === "inReview", "inReview at the client");

    const noComment = await server.sync.rooms.applyWorkflow(DS, "r2", "reject", reviewer, " ").catch((e: unknown) => e);
    expect(noComment).toBeInstanceOf(WorkflowError);
    expect((noComment as WorkflowError).reason).toBe("comment_required");
    const forbidden = await server.sync.rooms.applyWorkflow(DS, "r2", "approve", annotator).catch((e: unknown) => e);
    expect((forbidden as WorkflowError).reason).toBe("forbidden");

    await server.sync.rooms.applyWorkflow(DS, "r2", "reject", reviewer, "box too loose");
    await waitFor(
      // The record's own comment is not the rejection's reason (SPEC RV5: that goes to a review thread).
      () => readRecord(ann.doc).status === "inProgress" && readRecord(ann.doc).comment !== "box too loose",
      "rejection at the client",
    );

    await server.sync.rooms.applyWorkflow(DS, "r2", "submit", annotator);
    await server.sync.rooms.applyWorkflow(DS, "r2", "approve", reviewer);
    await waitFor(() => readRecord(ann.doc).status === "validated", "validated at the client");
    // The annotator is now read-only on this record: told so, and its writes are dropped.
    await waitFor(
      () => ann.sink.tessera().some((m) => m.kind === "welcome" && m.readOnly && m.status === "validated"),
      "read-only welcome",
    );
    ann.doc.transact(() =>
      writeRowCells(ann.doc, "entities", { id: "too-late", record_id: "r2", parent_id: "", category: "x" }),
    );
    await waitFor(
      () => ann.sink.tessera().some((m) => m.kind === "rejected" && m.reason === "read_only"),
      "read_only rejection",
    );
    expect(readRows(server.sync.rooms.loaded(DS, "r2")!.doc, "entities").map((r) => r.id)).not.toContain("too-late");

    const statuses = server.events
      .filter((e) => e.name === "status" && e.payload.recordId === "r2")
      .map((e) => e.payload as { action: string; to: string; userId: string });
    expect(statuses.map((s) => `${s.action}:${s.to}`)).toEqual([
      "edit:inProgress",
      "submit:inReview",
      "reject:inProgress",
      "submit:inReview",
      "approve:validated",
    ]);
    expect(statuses[4]?.userId).toBe("u-rev");
  });

  it("drops a client's own write of `status` and tells a Tessera client why", async () => {
    const c = client("r3", "sneaky");
    await c.synced();
    c.doc.transact(() => recordMap(c.doc).set("status", "validated"));
    await waitFor(
      () => c.sink.tessera().some((m) => m.kind === "rejected" && m.reason === "status_via_workflow"),
      "status rejection",
    );
    await waitFor(() => readRecord(c.doc).status === "new", "status restored at the client");
    expect(readRecord(server.sync.rooms.loaded(DS, "r3")!.doc).status).toBe("new");
  });
});

describe("RoomManager.deleteRecords", () => {
  it("deletes a record with an open room: clients closed with 4410, no write-back, state files gone", async () => {
    const key = { datasetId: DS, recordId: "r4" };
    const c = client("r4", "doomed");
    await c.synced();
    c.doc.transact(() =>
      writeRowCells(c.doc, "entities", { id: "unsaved", record_id: "r4", parent_id: "", category: "x" }),
    );
    await waitFor(
      () => readRows(server.sync.rooms.loaded(DS, "r4")!.doc, "entities").some((r) => r.id === "unsaved"),
      "edit at the server",
    );
    const closed = new Promise<{ code: number }>((resolve) =>
      c.provider.on("closed", (e: { code: number }) => resolve(e)),
    );
    const dataset = await server.library.open(DS);
    const report = await server.sync.rooms.deleteRecords(DS, ["r4"], () => dataset.delete("records", ["r4"]));
    expect(report.records).toBe(1);
    expect((await closed).code).toBe(4410);
    expect(server.sync.rooms.loaded(DS, "r4")).toBeNull();
    expect(await server.snapshots.load(key)).toBeNull();
    expect(await server.log.read(key)).toEqual([]);
    expect(await dataset.get("records", "r4")).toBeNull();
    expect((await dataset.query("entities", { where: { record_id: "r4" } })).items).toEqual([]);
    expect(await upgradeStatus(server, `/sync/${DS}/r4`)).toBe(404);
  });
});

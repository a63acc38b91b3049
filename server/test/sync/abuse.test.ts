import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { checkDoc, CloseCode, encodeSyncFrame, readRows, SyncType } from "@tessera/shared-crdt";
import { buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";
import {
  connect,
  docOf,
  rawSocket,
  startSyncServer,
  waitFor,
  type TestClient,
  type TestServer,
} from "./support/harness.js";

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

function client(recordId: string, name: string, tessera = false): TestClient {
  const c = connect(server, DS, recordId, { name, tessera });
  clients.push(c);
  return c;
}

/** Writes a row as raw Y.Map fields, bypassing the shared-crdt validators (as a buggy client would). */
function rawRow(doc: Y.Doc, table: string, row: Record<string, unknown>): void {
  doc.transact(() => {
    const m = new Y.Map<unknown>();
    doc.getMap(table).set(row.id as string, m);
    for (const [k, v] of Object.entries(row)) m.set(k, v);
  });
}

const box = (id: string, recordId: string, extra: Record<string, unknown>) => ({
  id,
  record_id: recordId,
  entity_id: `ent-${recordId}`,
  source_type: "",
  source_name: "",
  source_metadata: "{}",
  view_id: `img-${recordId}`,
  tracklet_id: "",
  entity_dynamic_state_id: "",
  frame_id: "",
  frame_index: -1,
  coords: [0.1, 0.1, 0.2, 0.2],
  format: "xywh",
  is_normalized: true,
  confidence: 1,
  ...extra,
});

async function logDoc(recordId: string): Promise<Y.Doc> {
  const key = { datasetId: DS, recordId };
  const snap = await server.snapshots.load(key);
  const tail = await server.log.read(key);
  return docOf([...(snap ? [snap.state] : []), ...tail.map((e) => e.update)]);
}

function withByte(prefix: number[], bytes: number): Uint8Array {
  return encodeSyncFrame(SyncType.update, new Uint8Array(bytes).fill(prefix[0] ?? 0));
}

describe("protocol abuse", () => {
  it("closes connections sending malformed frames with 4400 and oversized ones with 4413; others keep editing", async () => {
    const a = client("r7", "alice");
    const b = client("r7", "bob");
    await Promise.all([a.synced(), b.synced()]);
    const cases: Array<{ frame: Uint8Array | string; code: number }> = [
      { frame: Uint8Array.of(0), code: CloseCode.malformedFrame }, // truncated sync message
      { frame: Uint8Array.of(0xff, 0xff, 0xff), code: CloseCode.malformedFrame }, // garbage varUint
      { frame: Uint8Array.of(7, 1, 2), code: CloseCode.malformedFrame }, // unknown message type
      { frame: Uint8Array.of(0, 5, 0), code: CloseCode.malformedFrame }, // unknown sync subtype
      { frame: Uint8Array.of(0, 2, 10, 1, 2), code: CloseCode.malformedFrame }, // payload shorter than its length
      { frame: encodeSyncFrame(SyncType.update, Uint8Array.of(9, 9, 9, 9, 9, 9)), code: CloseCode.malformedFrame }, // not a Yjs update
      { frame: Uint8Array.of(1, 3, 1, 2, 3), code: CloseCode.malformedFrame }, // awareness update that does not decode
      { frame: "hello", code: CloseCode.malformedFrame }, // text frame
      { frame: withByte([0], 50 * 1024 * 1024), code: CloseCode.updateTooLarge }, // a 50 MB update
    ];
    for (const [i, c] of cases.entries()) {
      const raw = rawSocket(server, `/sync/${DS}/r7?name=mallory`);
      await raw.opened;
      raw.ws.send(c.frame);
      const closed = await raw.closed;
      expect(closed.code, `case ${i}`).toBe(c.code);
      // Between attacks, the honest clients keep editing and see each other.
      a.doc.getMap("entities");
      a.doc.transact(() => {
        const m = new Y.Map<unknown>();
        a.doc.getMap("entities").set(`e${i}`, m);
        for (const [k, v] of Object.entries({ id: `e${i}`, record_id: "r7", parent_id: "", category: "ok" }))
          m.set(k, v);
      });
      await waitFor(() => readRows(b.doc, "entities").some((r) => r.id === `e${i}`), `edit ${i} at bob`);
    }
    const room = server.sync.rooms.loaded(DS, "r7")!;
    expect(room.connections.size).toBe(2);
    expect(checkDoc(room.doc, room.schema, "r7")).toEqual([]);
  });

  it("repairs invalid rows (wrong types, NaN, 5 coords, dangling entity), tells a Tessera sender why, and keeps others and the log valid", async () => {
    const sender = client("r8", "sam", true);
    const other = client("r8", "oli");
    await Promise.all([sender.synced(), other.synced()]);
    rawRow(sender.doc, "bboxes", box("bad-type", "r8", { coords: "0,0,1,1", confidence: "high" }));
    rawRow(sender.doc, "bboxes", box("bad-nan", "r8", { confidence: Number.NaN }));
    rawRow(sender.doc, "bboxes", box("bad-five", "r8", { coords: [0, 0, 0.1, 0.1, 0.1] }));
    rawRow(sender.doc, "bboxes", box("bad-ref", "r8", { entity_id: "ghost" }));
    rawRow(sender.doc, "bboxes", box("good", "r8", {}));
    const rejected = await waitFor(() => {
      const r = sender.sink.tessera().filter((m) => m.kind === "rejected");
      return r.length >= 4 && r;
    }, "four rejections");
    const paths = rejected.flatMap((m) => (m.kind === "rejected" ? m.issues.map((i) => i.path) : []));
    expect(paths).toEqual(
      expect.arrayContaining([
        "bboxes[bad-type].coords",
        "bboxes[bad-nan].confidence",
        "bboxes[bad-five].coords",
        "bboxes[bad-ref].entity_id",
      ]),
    );
    expect(rejected.every((m) => m.kind === "rejected" && m.reason === "invalid_rows")).toBe(true);
    await waitFor(() => readRows(other.doc, "bboxes").some((r) => r.id === "good"), "good box at the other client");
    const room = server.sync.rooms.loaded(DS, "r8")!;
    const ids = (doc: Y.Doc) =>
      readRows(doc, "bboxes")
        .map((r) => r.id)
        .sort();
    await waitFor(() => ids(sender.doc).join() === "bb-r8,good", "sender repaired");
    expect(ids(other.doc)).toEqual(["bb-r8", "good"]);
    expect(ids(room.doc)).toEqual(["bb-r8", "good"]);
    expect(checkDoc(other.doc, room.schema, "r8")).toEqual([]);
    await waitFor(() => room.durable.idle, "appends settled");
    const logged = await logDoc("r8");
    expect(ids(logged)).toEqual(["bb-r8", "good"]);
    expect(checkDoc(logged, room.schema, "r8")).toEqual([]);
  });

  it("closes a connection that keeps sending invalid content with 4422 (a code the stock client does not retry)", async () => {
    const spammer = client("r9", "spam");
    await spammer.synced();
    const closed = new Promise<{ code: number }>((resolve) =>
      spammer.provider.on("closed", (e: { code: number }) => resolve(e)),
    );
    for (let i = 0; i < 21; i++) rawRow(spammer.doc, "bboxes", box(`bad-${i}`, "r9", { coords: [0, 0, 0, 0, 0] }));
    expect((await closed).code).toBe(CloseCode.tooManyInvalid);
    expect(spammer.provider.shouldConnect).toBe(false);
    const room = server.sync.rooms.loaded(DS, "r9");
    expect(room ? readRows(room.doc, "bboxes").map((r) => r.id) : ["bb-r9"]).toEqual(["bb-r9"]);
  });
});

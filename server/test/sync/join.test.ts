import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Y from "yjs";
import {
  addQuestion,
  addRow,
  checkDoc,
  createEntity,
  clientOrigin,
  readRecord,
  readRows,
  rowsOfDoc,
  type DocContext,
  withCustom,
} from "@tessera/shared-crdt";
import { BIG, BIG_ROWS, buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";
import { connect, docOf, startSyncServer, waitFor, type TestClient, type TestServer } from "./support/harness.js";

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

function client(recordId: string, name: string, options: { role?: string; tessera?: boolean } = {}): TestClient {
  const c = connect(server, DS, recordId, { name, ...options });
  clients.push(c);
  return c;
}

function ctxOf(c: TestClient, recordId: string, prefix: string): DocContext {
  let n = 0;
  const dataset = server.sync.rooms.loaded(DS, recordId);
  if (!dataset) throw new Error("room not loaded");
  return { doc: c.doc, schema: dataset.schema, recordId, newId: () => `${prefix}-${++n}` };
}

describe("joining a record", () => {
  it("gives a stock WebsocketProvider the record's rows as its document", async () => {
    const a = client("r0", "alice");
    await a.synced();
    expect(readRows(a.doc, "entities").map((r) => r.id)).toEqual(["ent-r0"]);
    const [box] = readRows(a.doc, "bboxes");
    expect(box).toMatchObject({
      id: "bb-r0",
      record_id: "r0",
      entity_id: "ent-r0",
      view_id: "img-r0",
      coords: [0.1, 0.1, 0.2, 0.2],
      format: "xywh",
    });
    expect(readRecord(a.doc)).toMatchObject({ id: "r0", status: "new", split: "train" });
  });

  it("answers sync step 1 only after the load: the first step 2 already holds every row of a big record", async () => {
    const c = client(BIG, "bob");
    await c.synced();
    // The first document payload the server sent is the step 2 answering our step 1.
    const first = c.sink.updates()[0];
    expect(first?.subtype).toBe(1);
    const fromFirst = docOf([first!.update]);
    // BIG_ROWS generated rows plus the seed entity and box every record has.
    expect(readRows(fromFirst, "bboxes")).toHaveLength(BIG_ROWS + 1);
    expect(readRows(fromFirst, "entities")).toHaveLength(BIG_ROWS + 1);
    expect(readRows(c.doc, "bboxes")).toHaveLength(BIG_ROWS + 1);
  });

  it("lets three clients edit one record at once (entities, boxes, tracklets, messages) and converge", async () => {
    const cs = [client("r1", "ann"), client("r1", "ben"), client("r1", "cat")];
    await Promise.all(cs.map((c) => c.synced()));
    cs.forEach((c, i) => {
      const ctx = ctxOf(c, "r1", `c${i}`);
      const origin = clientOrigin(`local-${i}`);
      for (let k = 0; k < 5; k++) {
        const { entityId } = createEntity(ctx, origin, {
          entity: withCustom({}, { category: `cat-${i}` }),
          annotation: {
            table: "bboxes",
            row: { view_id: "img-r1", coords: [0.1 * i, 0.05 * k, 0.1, 0.1], format: "xywh", is_normalized: true },
          },
        });
        addRow(ctx, origin, "tracklets", {
          entity_id: entityId,
          view_id: "img-r1",
          start_timestep: k,
          end_timestep: k + 2,
        });
      }
      addQuestion(ctx, origin, {
        conversationId: `conv-${i}`,
        content: `question from ${i}`,
        questionType: "OPEN",
        viewId: "img-r1",
      });
    });
    const room = server.sync.rooms.loaded(DS, "r1")!;
    const expected = (doc: Y.Doc) =>
      readRows(doc, "entities").length === 16 &&
      readRows(doc, "tracklets").length === 15 &&
      readRows(doc, "messages").length === 3;
    await waitFor(() => expected(room.doc) && cs.every((c) => expected(c.doc)), "convergence");
    const serverRows = JSON.stringify(rowsOfDoc(room.doc));
    for (const c of cs) expect(JSON.stringify(rowsOfDoc(c.doc))).toBe(serverRows);
    expect(checkDoc(room.doc, room.schema, "r1")).toEqual([]);
    // W1: the first accepted edit of a new record started it.
    expect(readRecord(room.doc).status).toBe("inProgress");
    expect(server.events.filter((e) => e.name === "status" && e.payload.recordId === "r1")).toHaveLength(1);
    const edits = server.events.filter((e) => e.name === "edit" && e.payload.recordId === "r1");
    expect(new Set(edits.map((e) => (e.payload as { userId: string }).userId))).toEqual(
      new Set(["guest:ann", "guest:ben", "guest:cat"]),
    );
  });

  it("serves a late joiner from memory: no second load, same document", async () => {
    const loadsBefore = server.events.filter((e) => e.name === "loaded" && e.payload.recordId === "r1").length;
    const late = client("r1", "dan");
    await late.synced();
    const room = server.sync.rooms.loaded(DS, "r1")!;
    expect(JSON.stringify(rowsOfDoc(late.doc))).toBe(JSON.stringify(rowsOfDoc(room.doc)));
    expect(readRows(late.doc, "entities")).toHaveLength(16);
    expect(server.events.filter((e) => e.name === "loaded" && e.payload.recordId === "r1")).toHaveLength(loadsBefore);
    expect(loadsBefore).toBe(1);
  });
});

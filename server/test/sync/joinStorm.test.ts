import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientOrigin, readRow, readRows, rowsOfDoc, updateRow, type DocContext } from "@tessera/shared-crdt";
import { BIG, BIG_ROWS, buildSyncDataDir, DS, type SyncTestData } from "./support/testData.js";
import { connect, startSyncServer, waitFor, type TestClient, type TestServer } from "./support/harness.js";

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

function storm(recordId: string, n: number, prefix: string): TestClient[] {
  const cs = Array.from({ length: n }, (_, i) => connect(server, DS, recordId, { name: `${prefix}${i}` }));
  clients.push(...cs);
  return cs;
}

describe("join storms: the whole document is encoded once per version of it, not once per joiner", () => {
  it("a storm of 30 fresh joiners on an unloaded record is served from the load's own bytes (no encode)", async () => {
    const cs = storm(BIG, 30, "s");
    await Promise.all(cs.map((c) => c.synced()));
    const room = server.sync.rooms.loaded(DS, BIG)!;
    for (const c of cs) expect(readRows(c.doc, "bboxes")).toHaveLength(BIG_ROWS + 1);
    expect(room.fullStateEncodings).toBe(0);
  });

  it("after an edit, a second storm encodes the new state once and every joiner gets the edit", async () => {
    const room = server.sync.rooms.loaded(DS, BIG)!;
    const editor = clients[0]!;
    const ctx: DocContext = { doc: editor.doc, schema: room.schema, recordId: BIG, newId: () => "unused" };
    updateRow(ctx, clientOrigin("editor"), "bboxes", "bb-r-big", { confidence: 0.42 });
    await waitFor(() => readRow(room.doc, "bboxes", "bb-r-big")?.confidence === 0.42, "the edit on the server");
    const cs = storm(BIG, 10, "t");
    await Promise.all(cs.map((c) => c.synced()));
    for (const c of cs) {
      expect(readRow(c.doc, "bboxes", "bb-r-big")?.confidence).toBe(0.42);
      expect(JSON.stringify(rowsOfDoc(c.doc))).toBe(JSON.stringify(rowsOfDoc(room.doc)));
    }
    expect(room.fullStateEncodings).toBe(1);
  });
});

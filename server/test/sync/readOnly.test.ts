import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { readRows, writeRowCells } from "@tessera/shared-crdt";
import { buildSyncDataDir, DS, VALIDATED, type SyncTestData } from "./support/testData.js";
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

function client(recordId: string, name: string, role?: string): TestClient {
  const c = connect(server, DS, recordId, { name, role, tessera: true });
  clients.push(c);
  return c;
}

function entity(doc: Y.Doc, recordId: string, id: string): void {
  doc.transact(() => writeRowCells(doc, "entities", { id, record_id: recordId, parent_id: "", category: "x" }));
}

async function logDoc(recordId: string): Promise<Y.Doc> {
  const snap = await server.snapshots.load({ datasetId: DS, recordId });
  const tail = await server.log.read({ datasetId: DS, recordId });
  return docOf([...(snap ? [snap.state] : []), ...tail.map((e) => e.update)]);
}

describe("read-only connections", () => {
  it("drop a viewer's document writes (never relayed, never logged) but relay its awareness", async () => {
    const viewer = client("r5", "vera", "viewer");
    const editor = client("r5", "ed");
    await Promise.all([viewer.synced(), editor.synced()]);
    expect(viewer.sink.tessera().find((m) => m.kind === "welcome")).toMatchObject({
      kind: "welcome",
      readOnly: true,
      status: "new",
    });
    expect(editor.sink.tessera().find((m) => m.kind === "welcome")).toMatchObject({ readOnly: false });

    entity(viewer.doc, "r5", "from-viewer");
    await waitFor(
      () => viewer.sink.tessera().some((m) => m.kind === "rejected" && m.reason === "read_only"),
      "viewer told read_only",
    );
    // A later edit from the editor arrives everywhere; the viewer's never does.
    entity(editor.doc, "r5", "from-editor");
    const room = server.sync.rooms.loaded(DS, "r5")!;
    await waitFor(
      () => readRows(viewer.doc, "entities").some((r) => r.id === "from-editor"),
      "editor's entity at the viewer",
    );
    expect(readRows(room.doc, "entities").map((r) => r.id)).not.toContain("from-viewer");
    expect(readRows(editor.doc, "entities").map((r) => r.id)).not.toContain("from-viewer");
    await waitFor(() => server.log.appended > 0 && room.durable.idle, "log appends settled");
    const logged = await logDoc("r5");
    expect(readRows(logged, "entities").map((r) => r.id)).toContain("from-editor");
    expect(readRows(logged, "entities").map((r) => r.id)).not.toContain("from-viewer");
    // No echo of the dropped write reached the viewer: it would have looked "saved".
    expect(
      viewer.sink
        .updates()
        .some((u) => Y.decodeUpdate(u.update).structs.some((s) => s.id.client === viewer.doc.clientID)),
    ).toBe(false);

    viewer.provider.awareness.setLocalStateField("viewport", { zoom: 2 });
    await waitFor(
      () =>
        (
          editor.provider.awareness.getStates().get(viewer.doc.clientID) as
            { viewport?: { zoom: number }; user?: { role: string } } | undefined
        )?.viewport?.zoom === 2,
      "viewer's awareness at the editor",
    );
    expect(
      (editor.provider.awareness.getStates().get(viewer.doc.clientID) as { user: { role: string } }).user.role,
    ).toBe("viewer");
  });

  it("make an annotator read-only on a validated record, not a reviewer", async () => {
    const annotator = client(VALIDATED, "ann");
    const reviewer = client(VALIDATED, "rev", "reviewer");
    await Promise.all([annotator.synced(), reviewer.synced()]);
    expect(annotator.sink.tessera().find((m) => m.kind === "welcome")).toMatchObject({
      readOnly: true,
      status: "validated",
    });
    expect(reviewer.sink.tessera().find((m) => m.kind === "welcome")).toMatchObject({ readOnly: false });
    entity(annotator.doc, VALIDATED, "ann-edit");
    entity(reviewer.doc, VALIDATED, "rev-edit");
    await waitFor(
      () => readRows(annotator.doc, "entities").some((r) => r.id === "rev-edit"),
      "reviewer's edit at the annotator",
    );
    await waitFor(
      () => annotator.sink.tessera().some((m) => m.kind === "rejected" && m.reason === "read_only"),
      "annotator told read_only",
    );
    const room = server.sync.rooms.loaded(DS, VALIDATED)!;
    expect(readRows(room.doc, "entities").map((r) => r.id)).not.toContain("ann-edit");
    expect(readRows(reviewer.doc, "entities").map((r) => r.id)).not.toContain("ann-edit");
  });
});

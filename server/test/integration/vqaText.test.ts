import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Library } from "@tessera/dataset";
import {
  addQuestion,
  clientOrigin,
  datasetSchemaOf,
  parseDatasetInfo,
  readCell,
  readRows,
  updateRow,
  type DocContext,
  type Row,
} from "@tessera/shared-crdt";
import {
  buildDataDir,
  DS,
  getJson,
  liveClient,
  spawnServer,
  waitFor,
  type LiveClient,
  type ServerProcess,
} from "./support.js";

const RECORD = "rec-vqa";
const OTHER = "rec-vqa-2";
let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: ServerProcess | undefined;

beforeAll(async () => {
  data = await buildDataDir([RECORD, OTHER]);
  server = await spawnServer(data.dataDir);
});

afterAll(async () => {
  await server?.stop();
  await data?.cleanup();
});

async function contextOf(s: ServerProcess, client: LiveClient, name: string, recordId = RECORD): Promise<DocContext> {
  const info = await getJson<Record<string, unknown>>(`${s.url}/datasets/${DS}/info`);
  let n = 0;
  return {
    doc: client.doc,
    schema: datasetSchemaOf(parseDatasetInfo(info)),
    recordId,
    newId: () => `${name}-${++n}`,
  };
}

describe("collaborative message text over a real server (SPEC D-TEXT)", () => {
  it("a stock client formatting a message's text is told why and the text comes back plain; the others keep editing", async () => {
    const s = server as ServerProcess;
    const [a, b] = [liveClient(s, OTHER, "mallory"), liveClient(s, OTHER, "carol")] as [LiveClient, LiveClient];
    await Promise.all([a.synced(), b.synced()]);
    const cb = await contextOf(s, b, "c", OTHER);
    const q = addQuestion(cb, clientOrigin("c"), { content: "Is the door open?", questionType: "OPEN" });
    await waitFor(
      () => readCell(a.doc, "messages", q.id, "content") === "Is the door open?",
      "question to reach mallory",
    );

    // A stock y-websocket client writes a formatting attribute into the text: not plain text.
    const row = a.doc.getMap<Y.Map<unknown>>("messages").get(q.id);
    const text = row?.get("content");
    expect(text).toBeInstanceOf(Y.Text);
    a.doc.transact(() => (text as Y.Text).insert(0, "!!", { bold: true }));

    await waitFor(() => a.rejected.length > 0, "mallory told why");
    expect(JSON.stringify(a.rejected[0])).toContain(`messages[${q.id}].content`);
    await waitFor(
      () =>
        readCell(a.doc, "messages", q.id, "content") === "Is the door open?" &&
        readCell(b.doc, "messages", q.id, "content") === "Is the door open?",
      "the plain text back on both replicas",
    );
    // The restored text is collaborative again: carol edits it and mallory sees the edit.
    updateRow(cb, clientOrigin("c"), "messages", q.id, { content: "Is the red door open?" });
    await waitFor(() => readCell(a.doc, "messages", q.id, "content") === "Is the red door open?", "carol's edit");
    expect(b.rejected).toEqual([]);
    a.destroy();
    b.destroy();
  });

  it("two stock y-websocket clients editing one question at once both keep their text, in both replicas and in LanceDB after the fold (was last-writer-wins)", async () => {
    const s = server as ServerProcess;
    const [a, b] = [liveClient(s, RECORD, "alice"), liveClient(s, RECORD, "bob")] as [LiveClient, LiveClient];
    await Promise.all([a.synced(), b.synced()]);
    const [ca, cb] = await Promise.all([contextOf(s, a, "a"), contextOf(s, b, "b")]);
    const q = addQuestion(ca, clientOrigin("a"), { content: "How many cars?", questionType: "OPEN" });
    await waitFor(() => readCell(b.doc, "messages", q.id, "content") === "How many cars?", "question to reach bob");

    // Both edit in the same turn: neither has seen the other's edit when it makes its own.
    updateRow(ca, clientOrigin("a"), "messages", q.id, { content: "How many red cars?" });
    updateRow(cb, clientOrigin("b"), "messages", q.id, { content: "How many cars are parked?" });

    const merged = "How many red cars are parked?";
    await waitFor(
      () =>
        readCell(a.doc, "messages", q.id, "content") === merged &&
        readCell(b.doc, "messages", q.id, "content") === merged,
      "both replicas to hold both edits",
    );
    expect(a.rejected).toEqual([]);
    expect(b.rejected).toEqual([]);

    // The persist worker folds the document into LanceDB: REST serves the merged text.
    await waitFor(
      async () => {
        const page = await getJson<{ items: Row[] }>(`${s.url}/datasets/${DS}/messages?record_id=${RECORD}`);
        return page.items.some((m) => m.id === q.id && m.content === merged);
      },
      "REST rows to hold the merged text",
      10_000,
    );
    expect(readRows(a.doc, "messages")).toHaveLength(1);
    a.destroy();
    b.destroy();

    // And the LanceDB table itself, read with the server stopped.
    await s.stop();
    server = undefined;
    const library = new Library(data.dataDir);
    try {
      const ds = await library.open(DS);
      const row = await ds.get("messages", q.id);
      expect(row?.content).toBe(merged);
      expect(row?.type).toBe("QUESTION");
    } finally {
      await library.close();
    }
  });
});

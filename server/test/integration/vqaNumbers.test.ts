import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addAnswer,
  addQuestion,
  clientOrigin,
  conversationsOf,
  datasetSchemaOf,
  parseDatasetInfo,
  readRows,
  type DocContext,
} from "@tessera/shared-crdt";
import type * as Y from "yjs";
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

/** SPEC D-VQA-NUMBER through the real room: two people asking in one conversation at the same moment. */
const RECORD = "rec-vqa-numbers";
let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: ServerProcess | undefined;

beforeAll(async () => {
  data = await buildDataDir([RECORD]);
  server = await spawnServer(data.dataDir);
});

afterAll(async () => {
  await server?.stop();
  await data?.cleanup();
});

async function contextOf(s: ServerProcess, client: LiveClient, name: string): Promise<DocContext> {
  const info = await getJson<Record<string, unknown>>(`${s.url}/datasets/${DS}/info`);
  let n = 0;
  return {
    doc: client.doc,
    schema: datasetSchemaOf(parseDatasetInfo(info)),
    recordId: RECORD,
    newId: () => `${name}-${++n}`,
  };
}

const threads = (doc: Y.Doc) =>
  conversationsOf(readRows(doc, "messages")).map((c) =>
    c.threads.map(
      (t) => `${t.question.content}#${Number(t.question.number)}:${t.answers.map((a) => a.content).join("|")}`,
    ),
  );

describe("questions asked at the same moment in one conversation (SPEC D-VQA-NUMBER)", () => {
  it("get distinct numbers from the room, and each answer stays with its question on every replica", async () => {
    const s = server as ServerProcess;
    const [alice, bob, watcher] = [
      liveClient(s, RECORD, "alice"),
      liveClient(s, RECORD, "bob"),
      liveClient(s, RECORD, "watcher"),
    ] as [LiveClient, LiveClient, LiveClient];
    await Promise.all([alice.synced(), bob.synced(), watcher.synced()]);
    const [ca, cb] = [await contextOf(s, alice, "a"), await contextOf(s, bob, "b")];
    const q0 = addQuestion(ca, clientOrigin("a"), { content: "Q0", questionType: "OPEN" });
    await waitFor(() => readRows(bob.doc, "messages").length === 1, "Q0 on bob's replica");

    // Both go offline, ask in the same conversation and answer their own question.
    alice.provider.disconnect();
    bob.provider.disconnect();
    const conversationId = q0.conversationId;
    const qa = addQuestion(ca, clientOrigin("a"), { conversationId, content: "QA", questionType: "OPEN" });
    addAnswer(ca, clientOrigin("a"), qa.id, "answer A");
    const qb = addQuestion(cb, clientOrigin("b"), { conversationId, content: "QB", questionType: "OPEN" });
    addAnswer(cb, clientOrigin("b"), qb.id, "answer B");
    expect(qa.number).toBe(qb.number);

    alice.provider.connect();
    await waitFor(() => readRows(watcher.doc, "messages").length === 3, "alice's question and answer in the room");
    bob.provider.connect();
    const expected = [["Q0#0:", "QA#1:answer A", "QB#2:answer B"]];
    await waitFor(
      () => [alice, bob, watcher].every((c) => JSON.stringify(threads(c.doc)) === JSON.stringify(expected)),
      "every replica threads both answers right",
    );
    expect(threads(watcher.doc)).toEqual(expected);
    for (const c of [alice, bob, watcher]) c.destroy();
  });
});

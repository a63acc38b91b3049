import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  addAnswer,
  addQuestion,
  checkDoc,
  clientOrigin,
  observeRecordChanges,
  readCell,
  readRow,
  repairDoc,
  rowOfMap,
  rowsOfDoc,
  serverOrigin,
  updateRow,
  type DocChanges,
  type DocContext,
  type ValidationIssue,
} from "../../src/index.js";
import { textEdit } from "../../src/doc/collabText.js";
import { fullSchema } from "../support/schema.js";

const schema = fullSchema();

function replica(name: string, doc = new Y.Doc()): DocContext {
  let n = 0;
  return { doc, schema, recordId: "r1", newId: () => `${name}${++n}` };
}

/** Exchanges everything two replicas lack of each other (as a relay would). */
function sync(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

function contentMap(doc: Y.Doc, id: string): Y.Map<unknown> {
  const m = doc.getMap<Y.Map<unknown>>("messages").get(id);
  if (!(m instanceof Y.Map)) throw new Error(`no message ${id}`);
  return m;
}

describe("collaborative message text (SPEC D-TEXT)", () => {
  it("two people editing different parts of one question at once both keep their text (was last-writer-wins)", () => {
    const a = replica("a");
    const q = addQuestion(a, clientOrigin("a"), { content: "How many cars?", questionType: "OPEN" });
    const b = replica("b");
    sync(a.doc, b.doc);

    updateRow(a, clientOrigin("a"), "messages", q.id, { content: "How many red cars?" });
    updateRow(b, clientOrigin("b"), "messages", q.id, { content: "How many cars are parked?" });
    sync(a.doc, b.doc);

    expect(readCell(a.doc, "messages", q.id, "content")).toBe("How many red cars are parked?");
    expect(readCell(b.doc, "messages", q.id, "content")).toBe("How many red cars are parked?");
  });

  it("content is stored as a Y.Text and every row reader sees a string", () => {
    const a = replica("a");
    const q = addQuestion(a, clientOrigin("a"), { content: "What colour?", questionType: "OPEN" });
    const ans = addAnswer(a, clientOrigin("a"), q.id, "blue");
    expect(contentMap(a.doc, q.id).get("content")).toBeInstanceOf(Y.Text);
    expect(contentMap(a.doc, ans).get("content")).toBeInstanceOf(Y.Text);
    expect(readRow(a.doc, "messages", q.id)?.content).toBe("What colour?");
    // A row map read without naming its table (the canvas's scene does so) finds it from its place.
    expect(rowOfMap(contentMap(a.doc, q.id)).content).toBe("What colour?");
    const rows = rowsOfDoc(a.doc).tables.messages ?? [];
    expect(rows.map((r) => r.content).sort()).toEqual(["What colour?", "blue"]);
    expect(checkDoc(a.doc, schema, "r1")).toEqual([]);
  });

  it("a message stored before the rule (content a plain string) still reads, and a patch upgrades it to a Y.Text", () => {
    const a = replica("a");
    const q = addQuestion(a, clientOrigin("a"), { content: "Old?", questionType: "OPEN" });
    contentMap(a.doc, q.id).set("content", "Old question?");
    expect(readCell(a.doc, "messages", q.id, "content")).toBe("Old question?");
    expect(checkDoc(a.doc, schema, "r1")).toEqual([]);
    updateRow(a, clientOrigin("a"), "messages", q.id, { content: "Old question, edited?" });
    expect(contentMap(a.doc, q.id).get("content")).toBeInstanceOf(Y.Text);
    expect(readCell(a.doc, "messages", q.id, "content")).toBe("Old question, edited?");
  });

  it("a patch edits the Y.Text in place (same Y.Text, smallest edit)", () => {
    const a = replica("a");
    const q = addQuestion(a, clientOrigin("a"), { content: "abcdef", questionType: "OPEN" });
    const text = contentMap(a.doc, q.id).get("content");
    const deltas: unknown[] = [];
    (text as Y.Text).observe((ev) => deltas.push(ev.delta));
    updateRow(a, clientOrigin("a"), "messages", q.id, { content: "abXYef" });
    expect(contentMap(a.doc, q.id).get("content")).toBe(text);
    expect(deltas).toEqual([[{ retain: 2 }, { delete: 2 }, { insert: "XY" }]]);
  });

  it("an edit inside the text is a row change whose before is the previous string", () => {
    const a = replica("a");
    const q = addQuestion(a, clientOrigin("a"), { content: "Is it day?", questionType: "OPEN" });
    const seen: DocChanges[] = [];
    observeRecordChanges(a.doc, (c) => seen.push(c));
    const t = contentMap(a.doc, q.id).get("content") as Y.Text;
    a.doc.transact(() => t.insert(6, "still "), clientOrigin("a"));
    expect(seen).toHaveLength(1);
    const change = seen[0]?.tables.get("messages")?.get(q.id);
    expect(change?.kind).toBe("updated");
    expect(change?.before.get("content")).toBe("Is it day?");
  });

  it("the smallest edit never splits a surrogate pair", () => {
    // 👍 and 👎 share their high surrogate: a prefix cut between the two halves would corrupt both.
    expect(textEdit("a👍b", "a👎b")).toEqual({ index: 1, remove: 2, insert: "👎" });
    expect(textEdit("x😀", "y😀")).toEqual({ index: 0, remove: 1, insert: "y" });
    const a = replica("a");
    const q = addQuestion(a, clientOrigin("a"), { content: "ok 👍", questionType: "OPEN" });
    updateRow(a, clientOrigin("a"), "messages", q.id, { content: "ok 👎" });
    expect(readCell(a.doc, "messages", q.id, "content")).toBe("ok 👎");
  });
});

describe("collaborative text from a client is checked (D-VALID over D-TEXT)", () => {
  function server() {
    const doc = new Y.Doc();
    const issues: ValidationIssue[][] = [];
    observeRecordChanges(doc, (changes, tr) => {
      if ((tr.origin as { source?: string } | null)?.source !== "client") return;
      issues.push(repairDoc(doc, schema, "r1", changes, serverOrigin("repair"), { statusWritable: false }));
    });
    return { doc, issues };
  }
  /** Applies a client transaction to the server as a raw update, then brings the client up to date. */
  function send(client: Y.Doc, srv: Y.Doc, fn: () => void): void {
    const before = Y.encodeStateVector(srv);
    client.transact(fn);
    Y.applyUpdate(srv, Y.encodeStateAsUpdate(client, before), clientOrigin("c1"));
    Y.applyUpdate(client, Y.encodeStateAsUpdate(srv, Y.encodeStateVector(client)));
  }

  it("plain edits of the text are accepted; a formatted or embedded text is put back to its previous text", () => {
    const s = server();
    const c = replica("c");
    Y.applyUpdate(c.doc, Y.encodeStateAsUpdate(s.doc));
    let id = "";
    send(c.doc, s.doc, () => (id = addQuestion(c, clientOrigin("c"), { content: "Where?", questionType: "OPEN" }).id));
    const t = () => contentMap(c.doc, id).get("content") as Y.Text;
    send(c.doc, s.doc, () => t().insert(5, " exactly"));
    expect(s.issues.flat()).toEqual([]);
    expect(readCell(s.doc, "messages", id, "content")).toBe("Where exactly?");

    send(c.doc, s.doc, () => t().insert(0, "x", { bold: true }));
    expect(s.issues.flat().map((i) => i.path)).toContain(`messages[${id}].content`);
    expect(readCell(s.doc, "messages", id, "content")).toBe("Where exactly?");
    expect(readCell(c.doc, "messages", id, "content")).toBe("Where exactly?");
    expect(contentMap(s.doc, id).get("content")).toBeInstanceOf(Y.Text);
  });

  it("a Y.Text in a column that is not collaborative is refused", () => {
    const s = server();
    const c = replica("c");
    let id = "";
    send(c.doc, s.doc, () => (id = addQuestion(c, clientOrigin("c"), { content: "Why?", questionType: "OPEN" }).id));
    send(c.doc, s.doc, () => contentMap(c.doc, id).set("user", new Y.Text("mallory")));
    expect(s.issues.flat().map((i) => i.path)).toContain(`messages[${id}].user`);
    expect(readCell(s.doc, "messages", id, "user")).toBe("user");
  });
});

import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  addAnswer,
  addQuestion,
  clientOrigin,
  conversationsOf,
  answerNumbersToHeal,
  observeRecordChanges,
  readRows,
  updateRow,
  serverOrigin,
  settleQuestionNumbers,
  type DocChanges,
  type DocContext,
} from "../../src/index.js";
import { fullSchema } from "../support/schema.js";

/**
 * SPEC D-VQA-NUMBER: the room settles question numbers after each client transaction, so two people
 * asking in one conversation at the same moment get distinct numbers and their answers thread right.
 */
function replica(name: string): DocContext {
  let n = 0;
  return { doc: new Y.Doc(), schema: fullSchema(), recordId: "r1", newId: () => `${name}${++n}` };
}

/** The server's document: applies a client's update and settles numbers as the room does. */
function server() {
  const doc = new Y.Doc();
  let changes: DocChanges | null = null;
  observeRecordChanges(doc, (c) => {
    if (c.origin === "client") changes = c;
  });
  return {
    doc,
    receive(update: Uint8Array): number {
      changes = null;
      Y.applyUpdate(doc, update, "client");
      const c = changes as DocChanges | null;
      return c ? settleQuestionNumbers(doc, c, serverOrigin("vqa:number")) : 0;
    },
  };
}

const threads = (doc: Y.Doc) =>
  conversationsOf(readRows(doc, "messages")).map((c) =>
    c.threads.map(
      (t) => `${t.question.content}#${Number(t.question.number)}:${t.answers.map((a) => a.content).join("|")}`,
    ),
  );

describe("D-VQA-NUMBER: questions asked at the same moment", () => {
  it("two questions asked at once in one conversation get distinct numbers; each keeps its own answer", () => {
    const s = server();
    const alice = replica("a");
    const bob = replica("b");
    const first = addQuestion(alice, clientOrigin("a"), { content: "Q0", questionType: "OPEN" });
    s.receive(Y.encodeStateAsUpdate(alice.doc));
    Y.applyUpdate(bob.doc, Y.encodeStateAsUpdate(s.doc));
    const conversationId = first.conversationId;

    // Both ask (and answer their own question) before seeing the other's.
    const qa = addQuestion(alice, clientOrigin("a"), { conversationId, content: "QA", questionType: "OPEN" });
    addAnswer(alice, clientOrigin("a"), qa.id, "answer A");
    const qb = addQuestion(bob, clientOrigin("b"), { conversationId, content: "QB", questionType: "OPEN" });
    addAnswer(bob, clientOrigin("b"), qb.id, "answer B");
    expect(qa.number).toBe(qb.number);

    expect(s.receive(Y.encodeStateAsUpdate(alice.doc))).toBe(0); // first come keeps its number
    expect(s.receive(Y.encodeStateAsUpdate(bob.doc))).toBe(2); // Bob's question and his answer move
    expect(threads(s.doc)).toEqual([["Q0#0:", "QA#1:answer A", "QB#2:answer B"]]);
  });

  it("an answer its author made before the move reached them is healed by the author's client (it knows the question)", () => {
    const s = server();
    const alice = replica("a");
    const bob = replica("b");
    const q0 = addQuestion(alice, clientOrigin("a"), { content: "Q0", questionType: "OPEN" });
    s.receive(Y.encodeStateAsUpdate(alice.doc));
    Y.applyUpdate(bob.doc, Y.encodeStateAsUpdate(s.doc));
    const conversationId = q0.conversationId;
    addQuestion(alice, clientOrigin("a"), { conversationId, content: "QA", questionType: "OPEN" });
    const qb = addQuestion(bob, clientOrigin("b"), { conversationId, content: "QB", questionType: "OPEN" });
    s.receive(Y.encodeStateAsUpdate(alice.doc));
    s.receive(Y.encodeStateAsUpdate(bob.doc));
    // Bob answers his question before the server's move reached him: number 1 for him.
    const sv = Y.encodeStateVector(bob.doc);
    const late = addAnswer(bob, clientOrigin("b"), qb.id, "late B");
    expect(s.receive(Y.encodeStateAsUpdate(bob.doc, sv))).toBe(0); // the room cannot tell which question it answers
    Y.applyUpdate(bob.doc, Y.encodeStateAsUpdate(s.doc, Y.encodeStateVector(bob.doc)));
    const answered = new Map([[late, qb.id]]);
    const fixes = answerNumbersToHeal(bob.doc, answered);
    expect([...fixes]).toEqual([[late, 2]]);
    for (const [id, number] of fixes) updateRow(bob, clientOrigin("b"), "messages", id, { number });
    s.receive(Y.encodeStateAsUpdate(bob.doc, Y.encodeStateVector(s.doc)));
    expect(threads(s.doc)).toEqual([["Q0#0:", "QA#1:", "QB#2:late B"]]);
    expect(answerNumbersToHeal(bob.doc, answered).size).toBe(0);
  });
});

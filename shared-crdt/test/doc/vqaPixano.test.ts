import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  addAnswer,
  addQuestion,
  clientOrigin,
  conversationsOf,
  deleteQuestion,
  editQuestion,
  formatAnswer,
  isAnswered,
  newConversationId,
  parseAnswer,
  readRows,
  ValidationError,
  type DocContext,
  type MessageRow,
} from "../../src/index.js";
import { fullSchema } from "../support/schema.js";

const REFERENCE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../fixtures/pixano-built/reference/vqa.rows.json",
);
/** The messages Pixano 0.8.0 wrote when it built the `vqa` fixture. */
const PIXANO: readonly MessageRow[] = (
  JSON.parse(readFileSync(REFERENCE, "utf8")) as { tables: { messages: MessageRow[] } }
).tables.messages;

const me = clientOrigin("t");

function ctx(): DocContext {
  let n = 0;
  return { doc: new Y.Doc(), schema: fullSchema(), recordId: "r1", newId: () => `m${++n}` };
}

/** What Pixano's rows say about a message, without ids, users and provenance. */
const shape = (m: MessageRow) => ({
  number: m.number,
  type: m.type,
  question_type: m.question_type,
  choices: m.choices,
  content: m.content,
});

describe("VQA messages as Pixano 0.8 writes them (SPEC D-VQA)", () => {
  it("parses Pixano's answer encoding ([[A,C]] explanation) as its UI does", () => {
    const contents = PIXANO.filter((m) => m.type === "ANSWER").map((m) => m.content);
    expect(contents.map(parseAnswer)).toEqual([
      { picked: [], explanation: "Red.", encoded: false },
      { picked: [1], explanation: "", encoded: true },
      { picked: [0, 2], explanation: "a disc and a rectangle", encoded: true },
      { picked: [1], explanation: "the background is black", encoded: true },
      { picked: [0, 2], explanation: "round and white", encoded: true },
      { picked: [], explanation: "second answer to the same question", encoded: false },
    ]);
    // Pixano's UI writes `[[${letters}]] ${explanation}`; spaces around letters are trimmed on read.
    expect(parseAnswer("[[ A , C ]] two\nlines")).toEqual({ picked: [0, 2], explanation: "two\nlines", encoded: true });
    expect(parseAnswer("[[a,7,AB,Z]] x").picked).toEqual([25]);
    expect([isAnswered(""), isAnswered("[[]]"), isAnswered(" [[]] "), isAnswered("[[A]]")]).toEqual([
      false,
      false,
      false,
      true,
    ]);
  });

  it("formats answers exactly as the fixture stores them", () => {
    expect(formatAnswer([1], "")).toBe("[[B]]");
    expect(formatAnswer([2, 0, 2], "a disc and a rectangle")).toBe("[[A,C]] a disc and a rectangle");
    expect(formatAnswer([1], "  the background is black ")).toBe("[[B]] the background is black");
    expect(() => formatAnswer([26], "")).toThrow(RangeError);
    for (const c of PIXANO.filter((m) => m.type === "ANSWER").map((m) => m.content)) {
      const a = parseAnswer(c);
      if (a.encoded) expect(formatAnswer(a.picked, a.explanation)).toBe(c);
    }
  });

  it("questions are numbered from 0 per conversation and answers take their question's number, as in the fixture (first question was 1)", () => {
    const want = PIXANO.filter((m) => m.conversation_id === "conv-q2").map(shape);
    const c = ctx();
    const q1 = addQuestion(c, me, {
      conversationId: "conv-q2",
      content: "Which colour is the disc?",
      questionType: "SINGLE_CHOICE",
      choices: ["red", "yellow", "blue"],
    });
    addAnswer(c, me, q1.id, formatAnswer([1], ""));
    const q2 = addQuestion(c, me, {
      conversationId: "conv-q2",
      content: "Which shapes are present?",
      questionType: "MULTI_CHOICE",
      choices: ["disc", "triangle", "rectangle"],
    });
    addAnswer(c, me, q2.id, formatAnswer([0, 2], "a disc and a rectangle"));
    const conv = conversationsOf(readRows(c.doc, "messages"));
    const written = conv.flatMap((k) => k.threads.flatMap((t) => [t.question, ...t.answers])).map(shape);
    expect(written).toEqual(want);
  });

  it("a conversation that opens with a SYSTEM message (number 0) still numbers its first question 0", () => {
    const want = PIXANO.filter((m) => m.record_id.endsWith("5J9NDWlYWTuCAucXepNpfq")).map(shape);
    const c = ctx();
    const sys = PIXANO[0] as MessageRow;
    c.doc.transact(() => {
      const m = new Y.Map<unknown>();
      c.doc.getMap("messages").set("sys", m);
      for (const [k, v] of Object.entries({ ...sys, id: "sys", record_id: "r1" })) m.set(k, v);
    });
    const q = addQuestion(c, me, {
      conversationId: sys.conversation_id,
      content: "What colour is the background?",
      questionType: "OPEN",
    });
    addAnswer(c, me, q.id, "Red.");
    const [conv] = conversationsOf(readRows(c.doc, "messages"));
    expect(conv?.preamble.map(shape)).toEqual([shape(sys)]);
    const written = [...(conv?.preamble ?? []), ...(conv?.threads ?? []).flatMap((t) => [t.question, ...t.answers])];
    expect(written.map(shape)).toEqual(want);
  });

  it("threads the fixture's conversations as Pixano's UI does (two answers to one question included)", () => {
    const convs = conversationsOf(PIXANO);
    const threads = convs.flatMap((k) =>
      k.threads.map((t) => [t.question.content, t.answers.map((a) => a.content)] as const),
    );
    expect(threads).toEqual(
      expect.arrayContaining([
        ["What colour is the background?", ["Red."]],
        ["Which colour is the disc?", ["[[B]]"]],
        ["Which shapes are present?", ["[[A,C]] a disc and a rectangle"]],
        ["Is it day or night?", ["[[B]] the background is black"]],
        ["Pick all true statements", ["[[A,C]] round and white", "second answer to the same question"]],
      ]),
    );
    expect(threads).toHaveLength(5);
    // Pixano's UI numbers an answer max+1 in its conversation: it still threads under its question.
    const ui = conversationsOf([
      { ...(PIXANO[1] as MessageRow), id: "q", conversation_id: "x", number: 0 },
      { ...(PIXANO[2] as MessageRow), id: "a", conversation_id: "x", number: 1 },
    ]);
    expect(ui[0]?.threads[0]?.answers.map((a) => a.id)).toEqual(["a"]);
  });

  it("deleting a question deletes its answers and nothing else; an edit is validated", () => {
    const c = ctx();
    const q1 = addQuestion(c, me, { content: "A?", questionType: "OPEN" });
    addAnswer(c, me, q1.id, "yes");
    addAnswer(c, me, q1.id, "no");
    const q2 = addQuestion(c, me, { conversationId: q1.conversationId, content: "B?", questionType: "OPEN" });
    const a2 = addAnswer(c, me, q2.id, "maybe");
    deleteQuestion(c, me, q1.id);
    expect(
      readRows(c.doc, "messages")
        .map((m) => m.id)
        .sort(),
    ).toEqual([q2.id, a2].sort());
    editQuestion(c, me, q2.id, { questionType: "SINGLE_CHOICE", choices: ["x", "y"] });
    expect(readRows(c.doc, "messages").find((m) => m.id === q2.id)).toMatchObject({
      question_type: "SINGLE_CHOICE",
      choices: ["x", "y"],
    });
    expect(() => editQuestion(c, me, q2.id, { questionType: "YES_NO" })).toThrow(ValidationError);
  });

  it("new conversation ids sort in the order they were made", () => {
    const a = newConversationId(1_000, () => 0.9);
    const b = newConversationId(2_000, () => 0.1);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^conv-[0-9a-z]{9}-[0-9a-z]{6}$/);
  });
});

import type { MessageRow } from "../schema/tables.js";
import { int64Number } from "../schema/int64.js";
import { patchRow, readRow, readRows, transact } from "./access.js";
import type { DocChanges } from "./changes.js";
import type { Origin } from "./origins.js";
import type * as Y from "yjs";

/**
 * D-VQA-NUMBER: Pixano numbers a conversation's questions `max + 1` and ties an answer to its question
 * by that number alone, so two people asking at the same moment would give two questions one number,
 * and answers to both would thread under one. The room, which sees transactions one at a time, settles
 * it after each client transaction: a QUESTION the transaction added whose number another question of
 * its conversation already holds takes the conversation's next number, and so do the ANSWERs the same
 * transaction added with that number. One transaction with `origin`; returns the rows moved. (An answer
 * its author adds to the moved question before the move reaches them is put right by the author's
 * client, which knows which question it answered: `answerNumbersToHeal`.)
 */
export function settleQuestionNumbers(doc: Y.Doc, changes: DocChanges, origin: Origin): number {
  const added = [...(changes.tables.get("messages") ?? [])].filter(([, c]) => c.kind === "added").map(([id]) => id);
  if (added.length === 0) return 0;
  const addedRows = added
    .map((id) => readRow(doc, "messages", id))
    .filter((m): m is MessageRow => m !== undefined)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const addedIds = new Set(addedRows.map((m) => m.id));
  const patches = new Map<string, number>();
  const numberOf = (m: MessageRow) => patches.get(m.id) ?? int64Number(m.number);

  let all: MessageRow[] | null = null;
  const conversation = (id: string) => (all ??= readRows(doc, "messages")).filter((m) => m.conversation_id === id);
  for (const q of addedRows) {
    if (q.type !== "QUESTION") continue;
    const n = int64Number(q.number);
    const rows = conversation(q.conversation_id);
    // The question that holds the number: one that was there before, or one added earlier in this transaction.
    const holder = rows.find(
      (m) => m.type === "QUESTION" && m.id !== q.id && numberOf(m) === n && (!addedIds.has(m.id) || m.id < q.id),
    );
    if (!holder) continue;
    const next = Math.max(...rows.map(numberOf)) + 1;
    patches.set(q.id, next);
    for (const a of addedRows)
      if (a.type === "ANSWER" && a.conversation_id === q.conversation_id && int64Number(a.number) === n)
        patches.set(a.id, next);
  }
  if (patches.size === 0) return 0;
  transact(doc, origin, () => {
    for (const [id, n] of patches) patchRow(doc, "messages", id, { number: n });
  });
  return patches.size;
}

/**
 * D-VQA-NUMBER, the author's half: answers this person made (answer id → the question it answers)
 * whose number is no longer their question's (the room moved the question) and the number to give
 * each. Answers or questions since deleted are skipped.
 */
export function answerNumbersToHeal(doc: Y.Doc, answered: ReadonlyMap<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [answerId, questionId] of answered) {
    const a = readRow(doc, "messages", answerId);
    const q = readRow(doc, "messages", questionId);
    if (!a || !q) continue;
    const n = int64Number(q.number);
    if (int64Number(a.number) !== n) out.set(answerId, n);
  }
  return out;
}

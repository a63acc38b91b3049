import type { MessageRow } from "../schema/tables.js";
import { int64Number } from "../schema/int64.js";
import { readRows, transact } from "./access.js";
import { deleteWithDependents, type Removed } from "./cascade.js";
import { DocEditError, updateRow, type DocContext } from "./mutators.js";
import type { Origin } from "./origins.js";

/**
 * A record's messages as conversations (SPEC D-VQA), the way Pixano 0.8's UI threads them: the
 * messages of a conversation sorted by `number` (SYSTEM, then QUESTION, then ANSWER on a tie, then
 * id), each ANSWER attached to the question before it. Pixano's importer gives an answer its
 * question's number and its UI the next number: both thread the same. Conversations are ordered by
 * id (the same on every screen).
 */
export interface QuestionThread {
  readonly question: MessageRow;
  readonly answers: readonly MessageRow[];
}

export interface Conversation {
  readonly id: string;
  /** SYSTEM messages, and answers that come before any question. */
  readonly preamble: readonly MessageRow[];
  readonly threads: readonly QuestionThread[];
}

const TYPE_RANK: Readonly<Record<string, number>> = { SYSTEM: 0, QUESTION: 1, ANSWER: 2 };
const rank = (m: MessageRow) => TYPE_RANK[m.type] ?? 3;
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function compareMessages(a: MessageRow, b: MessageRow): number {
  return int64Number(a.number) - int64Number(b.number) || rank(a) - rank(b) || byId(a, b);
}

export function conversationsOf(messages: readonly MessageRow[]): Conversation[] {
  const groups = new Map<string, MessageRow[]>();
  for (const m of messages) {
    const g = groups.get(m.conversation_id);
    if (g) g.push(m);
    else groups.set(m.conversation_id, [m]);
  }
  const out: Conversation[] = [];
  for (const [id, rows] of groups) {
    const preamble: MessageRow[] = [];
    const threads: { question: MessageRow; answers: MessageRow[] }[] = [];
    for (const m of rows.sort(compareMessages)) {
      const open = threads[threads.length - 1];
      if (m.type === "QUESTION") threads.push({ question: m, answers: [] });
      else if (m.type === "ANSWER" && open) open.answers.push(m);
      else preamble.push(m);
    }
    out.push({ id, preamble, threads });
  }
  return out.sort(byId);
}

/** The thread of a question in a document, or throws `missing_row` / `wrong_kind`. */
function threadOf(ctx: DocContext, questionId: string): QuestionThread {
  const messages = readRows(ctx.doc, "messages");
  const q = messages.find((m) => m.id === questionId);
  if (!q) throw new DocEditError("missing_row", `messages[${questionId}] does not exist`);
  if (q.type !== "QUESTION") throw new DocEditError("wrong_kind", `messages[${questionId}] is not a question`);
  const conv = conversationsOf(messages.filter((m) => m.conversation_id === q.conversation_id))[0];
  const thread = conv?.threads.find((t) => t.question.id === questionId);
  return thread ?? { question: q, answers: [] };
}

/** D-VQA: deletes a question and its answers in one transaction (one undo step). */
export function deleteQuestion(ctx: DocContext, origin: Origin, questionId: string): Removed {
  const t = threadOf(ctx, questionId);
  const ids = [t.question.id, ...t.answers.map((a) => a.id)];
  return transact(ctx.doc, origin, () => deleteWithDependents(ctx.doc, "messages", ids));
}

/** What a question edit may change besides its text (which is edited in place, SPEC D-TEXT). */
export interface QuestionEdit {
  readonly questionType?: string;
  readonly choices?: readonly string[];
  readonly entityIds?: readonly string[];
  readonly content?: string;
}

/** D-VQA: changes a question's type, choices, entity references or text; validated like any row patch (D-OPS). */
export function editQuestion(ctx: DocContext, origin: Origin, questionId: string, edit: QuestionEdit): void {
  threadOf(ctx, questionId);
  updateRow(ctx, origin, "messages", questionId, {
    ...(edit.questionType !== undefined ? { question_type: edit.questionType } : {}),
    ...(edit.choices !== undefined ? { choices: [...edit.choices] } : {}),
    ...(edit.entityIds !== undefined ? { entity_ids: [...edit.entityIds] } : {}),
    ...(edit.content !== undefined ? { content: edit.content } : {}),
  });
}

/**
 * A new conversation id that sorts after the ones this function made before it (base-36 time,
 * then randomness), so conversations opened in Tessera keep the order they were opened in on every
 * screen (ids Pixano made, random, sort among them as they fall).
 */
export function newConversationId(now: number, random: () => number): string {
  const time = Math.max(0, Math.floor(now)).toString(36).padStart(9, "0");
  const tail = Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, "0");
  return `conv-${time}-${tail}`;
}

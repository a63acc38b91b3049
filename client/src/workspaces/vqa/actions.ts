import { onCleanup } from "solid-js";
import * as Y from "yjs";
import {
  addAnswer,
  answerNumbersToHeal,
  addQuestion,
  applyTextEdit,
  deleteQuestion,
  deleteRows,
  editQuestion,
  formatAnswer,
  newConversationId,
  readCell,
  tableMap,
  transact,
  updateRow,
  type Origin,
  type QuestionEdit,
} from "@tessera/shared-crdt";
import type { CanvasAwareness } from "../../canvas/types.js";
import type { WorkspaceContext } from "../../pages/workspace/workspaceContext.js";
import { toastError } from "../../ui/toasts.js";
import { explanationView, withHead } from "./answerText.js";

/** The VQA panel's edits: the shared mutators with this tab's origin; refusals become toasts. */
export interface VqaActions {
  ask(input: {
    conversationId: string | null;
    content: string;
    questionType: string;
    choices: string[];
  }): string | null;
  answer(questionId: string, content: string): string | null;
  editQuestion(questionId: string, edit: QuestionEdit): void;
  deleteQuestion(questionId: string): void;
  deleteAnswer(answerId: string): void;
  /** Sets the picked choices of an answer, keeping its explanation (the smallest edit of its text). */
  pickChoices(answerId: string, picked: readonly number[]): void;
  /** Writes a message's whole content (a message stored before D-TEXT; the patch upgrades it). */
  setContent(messageId: string, content: string): void;
}

export function vqaActions(ctx: WorkspaceContext): VqaActions {
  const me = () => (ctx.awareness.getLocalState() as CanvasAwareness | null)?.user?.name ?? "user";
  const viewId = () => ctx.views()?.[0]?.id ?? "";
  const guard = <T>(what: string, fn: () => T): T | null => {
    if (!ctx.editable()) return null;
    try {
      return fn();
    } catch (err) {
      toastError(err, what);
      return null;
    }
  };
  const stop = () => ctx.undo.stopCapturing();
  // SPEC D-VQA-NUMBER: the answers made here and the question each answers. When the room moves a
  // question asked at the same moment as another, an answer made to it before the move arrived is
  // given the question's new number — with an origin of its own, so it is no step of this person's undo.
  const answered = new Map<string, string>();
  const healOrigin: Origin = { source: "client", sessionId: "vqa:number" };
  const heal = (tr: Y.Transaction) => {
    if (answered.size === 0 || tr.origin === ctx.origin || tr.origin === healOrigin) return;
    const fixes = answerNumbersToHeal(ctx.docCtx.doc, answered);
    if (fixes.size === 0 || !ctx.editable()) return;
    transact(ctx.docCtx.doc, healOrigin, () => {
      for (const [id, number] of fixes) updateRow(ctx.docCtx, healOrigin, "messages", id, { number });
    });
  };
  ctx.docCtx.doc.on("afterTransaction", heal);
  onCleanup(() => ctx.docCtx.doc.off("afterTransaction", heal));
  return {
    ask: (input) =>
      guard("Cannot add the question", () => {
        stop();
        const q = addQuestion(ctx.docCtx, ctx.origin, {
          conversationId: input.conversationId ?? newConversationId(Date.now(), Math.random),
          content: input.content,
          questionType: input.questionType,
          choices: input.choices,
          viewId: viewId(),
          user: me(),
        });
        stop();
        return q.id;
      }),
    answer: (questionId, content) =>
      guard("Cannot answer", () => {
        stop();
        const id = addAnswer(ctx.docCtx, ctx.origin, questionId, content, me());
        stop();
        answered.set(id, questionId);
        return id;
      }),
    editQuestion: (questionId, edit) => {
      guard("Cannot change the question", () => {
        stop();
        editQuestion(ctx.docCtx, ctx.origin, questionId, edit);
      });
    },
    deleteQuestion: (questionId) => {
      guard("Cannot delete the question", () => {
        stop();
        deleteQuestion(ctx.docCtx, ctx.origin, questionId);
      });
    },
    deleteAnswer: (answerId) => {
      guard("Cannot delete the answer", () => {
        stop();
        deleteRows(ctx.docCtx, ctx.origin, "messages", [answerId]);
      });
    },
    pickChoices: (answerId, picked) => {
      guard("Cannot pick", () => {
        const content = readCell(ctx.docCtx.doc, "messages", answerId, "content") ?? "";
        const next = withHead(formatAnswer(picked, ""), explanationView(content).text);
        const row = tableMap(ctx.docCtx.doc, "messages").get(answerId);
        const cell = row instanceof Y.Map ? row.get("content") : undefined;
        stop();
        if (cell instanceof Y.Text) transact(ctx.docCtx.doc, ctx.origin, () => applyTextEdit(cell, next));
        else updateRow(ctx.docCtx, ctx.origin, "messages", answerId, { content: next });
        stop();
      });
    },
    setContent: (messageId, content) => {
      guard("Cannot edit", () => updateRow(ctx.docCtx, ctx.origin, "messages", messageId, { content }));
    },
  };
}

import { createMemo, For, Show } from "solid-js";
import { answerMode, int64Number, isAnswered, QUESTION_TYPES } from "@tessera/shared-crdt";
import type { SelectionRef } from "../../canvas/types.js";
import type { WorkspaceContext } from "../../pages/workspace/workspaceContext.js";
import type { VqaActions } from "./actions.js";
import { AnswerItem } from "./AnswerItem.js";
import { BoundText } from "./BoundText.js";
import { ChoicesEditor } from "./ChoicesEditor.js";
import { TypingAvatars } from "./TypingAvatars.js";
import type { ThreadItem } from "./model.js";

export const TYPE_LABELS: Readonly<Record<string, string>> = {
  OPEN: "Open",
  SINGLE_CHOICE: "Single choice",
  SINGLE_CHOICE_EXPLANATION: "Single choice + why",
  MULTI_CHOICE: "Multiple choice",
  MULTI_CHOICE_EXPLANATION: "Multiple choice + why",
};

/** A new answer's content: nothing picked yet for a choice question (Pixano's "not answered"). */
const emptyAnswer = (questionType: string) => (answerMode(questionType) === "open" ? "" : "[[]]");

/**
 * One question with its answers: its text (collaborative, SPEC D-TEXT), its type and choices, the
 * entities it refers to (hovering the card highlights their shapes on the canvas), who is typing
 * in it, and its answers.
 */
export function QuestionCard(props: { ctx: WorkspaceContext; actions: VqaActions; thread: ThreadItem }) {
  const ctx = props.ctx;
  const q = () => props.thread.question;
  const answered = () => props.thread.answers.some((a) => isAnswered(a.content));
  const entities = createMemo(() => {
    const byId = new Map(ctx.items().map((e) => [e.id, e]));
    return q().entity_ids.map((id) => ({ id, item: byId.get(id) }));
  });
  const others = createMemo(() => ctx.items().filter((e) => !q().entity_ids.includes(e.id)));
  let before: readonly SelectionRef[] | null = null;
  const highlight = () => {
    const refs = entities().flatMap((e) =>
      e.item && e.item.annotations.length > 0
        ? e.item.annotations.map((a) => ({ table: a.table, id: a.id }))
        : [{ table: "entities" as const, id: e.id }],
    );
    if (refs.length === 0) return;
    before = ctx.selection();
    ctx.select(refs);
  };
  const unhighlight = () => {
    if (before === null) return;
    ctx.select(before);
    before = null;
  };
  const setEntities = (ids: string[]) => props.actions.editQuestion(q().id, { entityIds: ids });
  return (
    <article
      class="vqa-question"
      classList={{ answered: answered() }}
      data-testid="vqa-question"
      data-message={q().id}
      data-number={int64Number(q().number)}
      onMouseEnter={highlight}
      onMouseLeave={unhighlight}
    >
      <div class="vqa-question-head">
        <span class="vqa-number" title={answered() ? "Answered" : "Not answered yet"}>
          {answered() ? "✓" : "?"} Q{int64Number(q().number) + 1}
        </span>
        <select
          class="input vqa-type"
          aria-label="Question type"
          data-testid="vqa-type"
          value={q().question_type}
          disabled={!ctx.editable()}
          onChange={(e) => props.actions.editQuestion(q().id, { questionType: e.currentTarget.value })}
        >
          <For each={QUESTION_TYPES}>{(t) => <option value={t}>{TYPE_LABELS[t] ?? t}</option>}</For>
        </select>
        <TypingAvatars ctx={ctx} messageId={q().id} />
        <span class="grow" />
        <Show when={ctx.editable()}>
          <button
            class="btn ghost icon"
            title="Delete this question and its answers"
            aria-label="Delete question"
            data-testid="vqa-delete-question"
            onClick={() => props.actions.deleteQuestion(q().id)}
          >
            ×
          </button>
        </Show>
      </div>
      <BoundText
        ctx={ctx}
        messageId={q().id}
        part="question"
        label="Question"
        placeholder="Question…"
        testId="vqa-question-text"
        onFallback={(c) => props.actions.editQuestion(q().id, { content: c })}
      />
      <Show when={answerMode(q().question_type) !== "open"}>
        <ChoicesEditor
          ctx={ctx}
          messageId={q().id}
          choices={q().choices}
          onChange={(choices) => props.actions.editQuestion(q().id, { choices })}
        />
      </Show>
      <div class="vqa-entities" data-testid="vqa-entities">
        <For each={entities()}>
          {(e) => (
            <span class="vqa-entity" data-testid="vqa-entity" data-entity={e.id}>
              <span class="vqa-dot" style={{ background: ctx.colorOfLabel(e.item?.label ?? "") }} />
              {e.item?.label || e.id.slice(0, 8)}
              <Show when={ctx.editable()}>
                <button
                  class="btn ghost icon"
                  aria-label="Remove this reference"
                  onClick={() => setEntities(q().entity_ids.filter((x) => x !== e.id))}
                >
                  ×
                </button>
              </Show>
            </span>
          )}
        </For>
        <Show when={ctx.editable() && others().length > 0}>
          <select
            class="input vqa-add-entity"
            aria-label="Refer to an object"
            data-testid="vqa-add-entity"
            value=""
            onChange={(e) => {
              const id = e.currentTarget.value;
              e.currentTarget.value = "";
              if (id) setEntities([...q().entity_ids, id]);
            }}
          >
            <option value="">+ object</option>
            <For each={others()}>{(e) => <option value={e.id}>{e.label || e.id.slice(0, 8)}</option>}</For>
          </select>
        </Show>
      </div>
      <div class="vqa-answers">
        <For each={props.thread.answers}>
          {(a) => <AnswerItem ctx={ctx} actions={props.actions} question={q()} answer={a} />}
        </For>
        <Show when={ctx.editable()}>
          <button
            class="btn ghost vqa-add-answer"
            data-testid="vqa-add-answer"
            onClick={() => props.actions.answer(q().id, emptyAnswer(q().question_type))}
          >
            + Answer
          </button>
        </Show>
      </div>
    </article>
  );
}

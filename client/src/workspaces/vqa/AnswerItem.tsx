import { createMemo, For, Match, Show, Switch } from "solid-js";
import { answerMode, choiceLetter, hasExplanation, parseAnswer, type MessageRow } from "@tessera/shared-crdt";
import type { WorkspaceContext } from "../../pages/workspace/workspaceContext.js";
import type { VqaActions } from "./actions.js";
import { composeExplanation, explanationView } from "./answerText.js";
import { BoundText } from "./BoundText.js";
import { TypingAvatars } from "./TypingAvatars.js";

/**
 * One answer: free text for an OPEN question; for a choice question the choices as radios
 * (SINGLE_CHOICE) or checkboxes (MULTI_CHOICE), and the explanation for the `_EXPLANATION` types —
 * stored as Pixano's `[[A,C]] explanation` (SPEC D-VQA).
 */
export function AnswerItem(props: {
  ctx: WorkspaceContext;
  actions: VqaActions;
  question: MessageRow;
  answer: MessageRow;
}) {
  const mode = () => answerMode(props.question.question_type);
  const picked = createMemo(() => new Set(parseAnswer(props.answer.content).picked));
  const toggle = (i: number, on: boolean) => {
    const now = picked();
    const next = mode() === "single" ? (on ? [i] : []) : on ? [...now, i] : [...now].filter((x) => x !== i);
    props.actions.pickChoices(props.answer.id, next);
  };
  return (
    <div class="vqa-answer" data-testid="vqa-answer" data-message={props.answer.id}>
      <div class="vqa-answer-head">
        <span class="vqa-who">{props.answer.user || "answer"}</span>
        <TypingAvatars ctx={props.ctx} messageId={props.answer.id} />
        <span class="grow" />
        <Show when={props.ctx.editable()}>
          <button
            class="btn ghost icon"
            title="Delete this answer"
            aria-label="Delete answer"
            data-testid="vqa-delete-answer"
            onClick={() => props.actions.deleteAnswer(props.answer.id)}
          >
            ×
          </button>
        </Show>
      </div>
      <Show when={mode() !== "open"}>
        <div class="vqa-picks" role={mode() === "single" ? "radiogroup" : "group"} aria-label="Choices">
          <For each={props.question.choices}>
            {(choice, i) => (
              <label class="vqa-pick">
                <input
                  type={mode() === "single" ? "radio" : "checkbox"}
                  name={`pick-${props.answer.id}`}
                  checked={picked().has(i())}
                  disabled={!props.ctx.editable()}
                  data-testid="vqa-pick"
                  onChange={(e) => toggle(i(), e.currentTarget.checked)}
                />
                <span class="vqa-letter">{choiceLetter(i())}</span> {choice}
              </label>
            )}
          </For>
        </div>
      </Show>
      <Switch>
        <Match when={mode() === "open"}>
          <BoundText
            ctx={props.ctx}
            messageId={props.answer.id}
            part="answer"
            label="Answer"
            placeholder="Answer…"
            testId="vqa-answer-text"
            onFallback={(c) => props.actions.setContent(props.answer.id, c)}
          />
        </Match>
        <Match when={hasExplanation(props.question.question_type)}>
          <BoundText
            ctx={props.ctx}
            messageId={props.answer.id}
            part="answer"
            label="Explanation"
            placeholder="Explanation…"
            testId="vqa-answer-text"
            view={explanationView}
            compose={composeExplanation}
            onFallback={(c) => props.actions.setContent(props.answer.id, c)}
          />
        </Match>
      </Switch>
    </div>
  );
}

import { createSignal, For, Show } from "solid-js";
import { answerMode, MAX_CHOICES, QUESTION_TYPES } from "@tessera/shared-crdt";
import type { VqaActions } from "./actions.js";
import { TYPE_LABELS } from "./QuestionCard.js";

/** The form that asks a question: in a conversation, or opening a new one (`conversationId` null). */
export function NewQuestion(props: { actions: VqaActions; conversationId: string | null; onDone: () => void }) {
  const [content, setContent] = createSignal("");
  const [type, setType] = createSignal<string>("OPEN");
  const [choices, setChoices] = createSignal("");
  const lines = () =>
    choices()
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
  const valid = () =>
    content().trim() !== "" &&
    (answerMode(type()) === "open" || (lines().length >= 2 && lines().length <= MAX_CHOICES));
  const submit = () => {
    if (!valid()) return;
    const id = props.actions.ask({
      conversationId: props.conversationId,
      content: content().trim(),
      questionType: type(),
      choices: answerMode(type()) === "open" ? [] : lines(),
    });
    if (id !== null) props.onDone();
  };
  return (
    <form
      class="vqa-new"
      data-testid="vqa-new-question"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <textarea
        class="input vqa-text"
        placeholder="Ask a question about the image…"
        aria-label="New question"
        data-testid="vqa-new-text"
        autofocus
        value={content()}
        onInput={(e) => setContent(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) submit();
          if (e.key === "Escape") props.onDone();
        }}
      />
      <select
        class="input"
        aria-label="Question type"
        data-testid="vqa-new-type"
        value={type()}
        onChange={(e) => setType(e.currentTarget.value)}
      >
        <For each={QUESTION_TYPES}>{(t) => <option value={t}>{TYPE_LABELS[t] ?? t}</option>}</For>
      </select>
      <Show when={answerMode(type()) !== "open"}>
        <textarea
          class="input vqa-text"
          placeholder={"One choice per line (2 to 26)"}
          aria-label="Choices"
          data-testid="vqa-new-choices"
          value={choices()}
          onInput={(e) => setChoices(e.currentTarget.value)}
        />
      </Show>
      <div class="row">
        <button class="btn primary" type="submit" disabled={!valid()} data-testid="vqa-ask">
          Ask
        </button>
        <button class="btn ghost" type="button" onClick={() => props.onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

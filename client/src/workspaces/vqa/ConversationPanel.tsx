import { createSignal, For, Show } from "solid-js";
import { isAnswered } from "@tessera/shared-crdt";
import type { WorkspaceContext } from "../../pages/workspace/workspaceContext.js";
import type { VqaActions } from "./actions.js";
import type { ConversationItem } from "./model.js";
import { NewQuestion } from "./NewQuestion.js";
import { QuestionCard } from "./QuestionCard.js";
import "./vqa.css";

/**
 * The VQA side panel (Pixano `image_vqa`): every conversation of the record with its questions in
 * order and their answers, live for everyone on the record.
 */
export default function ConversationPanel(props: {
  ctx: WorkspaceContext;
  actions: VqaActions;
  conversations: () => readonly ConversationItem[];
}) {
  /** Where the "ask" form is open: a conversation id, "new", or nowhere. */
  const [asking, setAsking] = createSignal<string | null>(null);
  const counts = () => {
    let questions = 0;
    let answered = 0;
    for (const c of props.conversations())
      for (const t of c.threads) {
        questions++;
        if (t.answers.some((a) => isAnswered(a.content))) answered++;
      }
    return { questions, answered };
  };
  return (
    <div class="vqa-panel" data-testid="vqa-panel">
      <header class="vqa-panel-head">
        <strong>Conversations</strong>
        <span class="muted" data-testid="vqa-counts">
          {counts().answered}/{counts().questions} answered
        </span>
        <span class="grow" />
        <Show when={props.ctx.editable()}>
          <button class="btn" data-testid="vqa-new-conversation" onClick={() => setAsking("new")}>
            + Conversation
          </button>
        </Show>
      </header>
      <Show when={props.ctx.loaded() && props.conversations().length === 0 && asking() === null}>
        <p class="muted vqa-empty">No questions on this image yet.</p>
      </Show>
      <For each={props.conversations()}>
        {(conv, i) => (
          <section class="vqa-conversation" data-testid="vqa-conversation" data-conversation={conv.id}>
            <h3 class="vqa-conversation-title">Conversation {i() + 1}</h3>
            <For each={conv.preamble}>
              {(m) => (
                <p class="vqa-system muted" data-testid="vqa-system">
                  {m.type === "SYSTEM" ? "System: " : ""}
                  {m.content}
                </p>
              )}
            </For>
            <For each={conv.threads}>{(t) => <QuestionCard ctx={props.ctx} actions={props.actions} thread={t} />}</For>
            <Show
              when={asking() === conv.id}
              fallback={
                <Show when={props.ctx.editable()}>
                  <button class="btn ghost" data-testid="vqa-ask-here" onClick={() => setAsking(conv.id)}>
                    + Question
                  </button>
                </Show>
              }
            >
              <NewQuestion actions={props.actions} conversationId={conv.id} onDone={() => setAsking(null)} />
            </Show>
          </section>
        )}
      </For>
      <Show when={asking() === "new"}>
        <section class="vqa-conversation">
          <h3 class="vqa-conversation-title">New conversation</h3>
          <NewQuestion actions={props.actions} conversationId={null} onDone={() => setAsking(null)} />
        </section>
      </Show>
    </div>
  );
}

import { For, Show } from "solid-js";
import { choiceLetter, MAX_CHOICES } from "@tessera/shared-crdt";
import type { WorkspaceContext } from "../../pages/workspace/workspaceContext.js";
import { setTyping } from "./typing.js";

/**
 * A choice question's choices (a list replaced whole, last writer wins per edit): rename one
 * (committed on blur or Enter), add one, remove one. At most 26: Pixano's answers name choices by
 * one letter.
 */
export function ChoicesEditor(props: {
  ctx: WorkspaceContext;
  messageId: string;
  choices: readonly string[];
  onChange: (choices: string[]) => void;
}) {
  const commit = (i: number, value: string) => {
    const v = value.trim();
    if (v === props.choices[i]) return;
    props.onChange(props.choices.map((c, j) => (j === i ? v : c)));
  };
  return (
    <ol class="vqa-choices" data-testid="vqa-choices">
      <For each={props.choices}>
        {(choice, i) => (
          <li class="vqa-choice">
            <span class="vqa-letter">{choiceLetter(i())}</span>
            <input
              class="input grow"
              value={choice}
              aria-label={`Choice ${choiceLetter(i())}`}
              data-testid="vqa-choice"
              readOnly={!props.ctx.editable()}
              onFocus={() => setTyping(props.ctx.awareness, { messageId: props.messageId, part: "choices" })}
              onBlur={(e) => {
                setTyping(props.ctx.awareness, null);
                commit(i(), e.currentTarget.value);
              }}
              onKeyDown={(e) => {
                if (e.key === "Enter") commit(i(), e.currentTarget.value);
              }}
            />
            <Show when={props.ctx.editable()}>
              <button
                class="btn ghost icon"
                aria-label={`Remove choice ${choiceLetter(i())}`}
                onClick={() => props.onChange(props.choices.filter((_, j) => j !== i()))}
              >
                ×
              </button>
            </Show>
          </li>
        )}
      </For>
      <Show when={props.ctx.editable() && props.choices.length < MAX_CHOICES}>
        <li>
          <button
            class="btn ghost"
            data-testid="vqa-add-choice"
            onClick={() => props.onChange([...props.choices, `Choice ${choiceLetter(props.choices.length)}`])}
          >
            + choice
          </button>
        </li>
      </Show>
    </ol>
  );
}

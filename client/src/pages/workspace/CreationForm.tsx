import { For, Show } from "solid-js";
import type { LabelField } from "../../app/categories.js";

/**
 * The small form that opens after a shape is drawn: pick its category (click, or 1–9), Enter
 * confirms, Esc keeps the shape with the category it was drawn with. The workspace's keyboard
 * handler drives Enter/Esc/1–9; this only shows and clicks.
 */
export function CreationForm(props: {
  field: LabelField;
  value: string;
  onChange: (value: string) => void;
  onConfirm: () => void;
  onCancel: () => void;
  colorOf: (label: string) => string;
}) {
  return (
    <div class="create-form" data-testid="creation-form" role="dialog" aria-label="New object">
      <div class="row">
        <b class="grow">New object — {props.field.name}</b>
        <span class="faint" style={{ "font-size": "11px" }}>
          <span class="kbd">1</span>–<span class="kbd">9</span> pick · <span class="kbd">Enter</span> ok ·{" "}
          <span class="kbd">Esc</span> skip
        </span>
      </div>
      <Show when={props.field.values.length > 0}>
        <div class="cat-list">
          <For each={props.field.values}>
            {(v, i) => (
              <button
                class={`cat${props.value === v ? " on" : ""}`}
                onClick={() => props.onChange(v)}
                onDblClick={() => (props.onChange(v), props.onConfirm())}
                data-testid="category-option"
                data-value={v}
              >
                <i style={{ background: props.colorOf(v) }} />
                {i() < 9 && <span class="faint">{i() + 1}</span>}
                {v}
              </button>
            )}
          </For>
        </div>
      </Show>
      <Show when={!props.field.restricted}>
        <input
          class="input"
          placeholder={`${props.field.name} (type a new one)`}
          value={props.value}
          onInput={(e) => props.onChange(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              e.stopPropagation();
              props.onConfirm();
            }
          }}
          data-testid="category-input"
        />
      </Show>
      <div class="row" style={{ "justify-content": "flex-end" }}>
        <button class="btn" onClick={() => props.onCancel()}>
          Skip
        </button>
        <button class="btn primary" onClick={() => props.onConfirm()} data-testid="confirm-category">
          OK
        </button>
      </div>
    </div>
  );
}

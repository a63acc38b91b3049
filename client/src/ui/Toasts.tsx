import { For } from "solid-js";
import { dismissToast, toasts } from "./toasts.js";

export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite">
      <For each={toasts()}>
        {(t) => (
          <div class={`toast ${t.kind}`} data-testid="toast">
            <span class="grow">{t.text}</span>
            <button class="btn ghost icon" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
              ×
            </button>
          </div>
        )}
      </For>
    </div>
  );
}

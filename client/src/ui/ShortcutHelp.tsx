import { For } from "solid-js";
import { shortcuts } from "../app/keymap.js";
import { Dialog } from "./Dialog.js";

/** `?`: every shortcut, from the same table the keyboard handler uses. */
export function ShortcutHelp(props: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" wide onClose={props.onClose} testId="shortcut-help">
      <div class="help-grid">
        <For each={shortcuts()}>
          {(group) => (
            <section>
              <h3>{group.title}</h3>
              <dl>
                <For each={group.items}>
                  {(item) => (
                    <>
                      <dt>
                        <span class="kbd">{item.keys}</span>
                      </dt>
                      <dd>{item.action}</dd>
                    </>
                  )}
                </For>
              </dl>
            </section>
          )}
        </For>
      </div>
      <div class="actions">
        <button class="btn primary" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

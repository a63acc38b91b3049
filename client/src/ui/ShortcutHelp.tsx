import { For } from "solid-js";
import { shortcuts, type ShortcutGroup } from "../app/keymap.js";
import { Dialog } from "./Dialog.js";

/** `?`: every shortcut, from the same tables the keyboard handler uses (the common keymap and the workspace's). */
export function ShortcutHelp(props: { extra?: readonly ShortcutGroup[]; onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" wide onClose={props.onClose} testId="shortcut-help">
      <div class="help-grid">
        <For each={[...shortcuts(), ...(props.extra ?? [])]}>
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

import { createSignal, Show } from "solid-js";
import type { ReviewPin } from "@tessera/shared-crdt/api";
import { Dialog } from "../ui/Dialog.js";
import { pinLabel } from "./pins.js";

/**
 * The rejection's reason (SPEC RV5): it becomes a review thread on the record — pinned to the selected object when
 * asked — and the record's own comment is left alone. "Reject & next" then opens the next record of the queue.
 */
export function RejectDialog(props: {
  pin: ReviewPin | null;
  next: boolean;
  onReject: (comment: string, pin: ReviewPin | null, next: boolean) => void;
  onClose: () => void;
}) {
  const [comment, setComment] = createSignal("");
  const [pinned, setPinned] = createSignal(true);
  const go = (next: boolean) => {
    const text = comment().trim();
    if (text === "") return;
    props.onClose();
    props.onReject(text, pinned() ? props.pin : null, next);
  };
  return (
    <Dialog title="Reject this record" onClose={() => props.onClose()} testId="reject-dialog">
      <label class="field">
        What needs fixing? (the annotator sees this in the Review tab)
        <textarea
          class="input"
          rows={4}
          value={comment()}
          onInput={(e) => setComment(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) go(props.next);
          }}
          data-testid="reject-comment"
          autofocus
        />
      </label>
      <Show when={props.pin}>
        {(p) => (
          <label class="muted">
            <input
              type="checkbox"
              checked={pinned()}
              onChange={(e) => setPinned(e.currentTarget.checked)}
              data-testid="reject-pin"
            />{" "}
            Pin to {pinLabel(p())}
          </label>
        )}
      </Show>
      <div class="actions">
        <button class="btn" onClick={() => props.onClose()}>
          Cancel
        </button>
        <button
          class="btn danger"
          disabled={comment().trim() === ""}
          data-testid="confirm-reject"
          onClick={() => go(false)}
        >
          Reject
        </button>
        <button
          class="btn danger"
          disabled={comment().trim() === ""}
          data-testid="confirm-reject-next"
          title="Reject, then open the next record waiting for review (Ctrl+Enter when opened with Shift+R)"
          onClick={() => go(true)}
        >
          Reject &amp; next
        </button>
      </div>
    </Dialog>
  );
}

import { createSignal, For, Show } from "solid-js";
import type { Role } from "@tessera/shared-crdt";
import type { ReviewThread } from "@tessera/shared-crdt/api";
import { timeAgo } from "../pages/workspace/activityText.js";
import { toastError } from "../ui/toasts.js";
import type { WorkspaceContext } from "../pages/workspace/workspaceContext.js";
import { pinLabel, pinOfSelection } from "./pins.js";
import type { WorkspaceReview } from "./workspaceReview.js";
import "./review.css";

/**
 * The workspace's Review tab (SPEC RV): the record's threads — open ones first — with their pins (a pinned object
 * is selected and outlined on the canvas from here), replies, and resolve / reopen for reviewers; a new comment,
 * pinned to the selected object when asked.
 */
export function ReviewTab(props: {
  ctx: WorkspaceContext;
  role: Role;
  review: Pick<WorkspaceReview, "threads" | "open" | "reply" | "resolve">;
}) {
  const canWrite = () => props.role !== "viewer";
  const canResolve = () => props.role === "reviewer" || props.role === "admin";
  const [text, setText] = createSignal("");
  const [pinned, setPinned] = createSignal(true);
  const [busy, setBusy] = createSignal(false);
  const pin = () => pinOfSelection(props.ctx.selection(), (r) => props.ctx.index.entityOf(r));
  const sorted = () => [...props.review.threads()].sort((a, b) => Number(a.resolved) - Number(b.resolved));
  const submit = () => {
    const t = text().trim();
    if (t === "" || busy()) return;
    setBusy(true);
    props.review
      .open(t, pinned() ? pin() : null)
      .then(
        () => setText(""),
        (err: unknown) => toastError(err, "Cannot comment"),
      )
      .finally(() => setBusy(false));
  };
  const showPin = (t: ReviewThread) => {
    const id = t.pin?.entity_id;
    if (!id) return;
    props.ctx.selectEntity(id);
    props.ctx.controller()?.highlight(new Set([id]));
  };

  return (
    <div class="panel-pad review-tab" data-testid="review-tab">
      <Show when={canWrite()}>
        <div class="review-new">
          <textarea
            class="input"
            rows={2}
            placeholder="Comment on this record…"
            aria-label="New review comment"
            value={text()}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) submit();
            }}
            data-testid="review-new-text"
          />
          <div class="row">
            <label class="muted" title="Select an object on the canvas or in the Objects tab to pin the comment to it">
              <input
                type="checkbox"
                checked={pinned() && pin() !== null}
                disabled={pin() === null}
                onChange={(e) => setPinned(e.currentTarget.checked)}
                data-testid="review-new-pin"
              />{" "}
              {pin() ? `Pin to ${pinLabel(pin() ?? {})}` : "Select an object to pin"}
            </label>
            <span class="spacer" />
            <button
              class="btn primary"
              disabled={text().trim() === "" || busy()}
              onClick={submit}
              data-testid="review-new-send"
            >
              Comment
            </button>
          </div>
        </div>
      </Show>
      <Show
        when={props.review.threads().length > 0}
        fallback={<div class="muted">No review comments on this record.</div>}
      >
        <div class="review-threads">
          <For each={sorted()}>
            {(t) => (
              <Thread
                thread={t}
                canWrite={canWrite()}
                canResolve={canResolve()}
                onPin={() => showPin(t)}
                review={props.review}
              />
            )}
          </For>
        </div>
      </Show>
    </div>
  );
}

function Thread(props: {
  thread: ReviewThread;
  canWrite: boolean;
  canResolve: boolean;
  onPin: () => void;
  review: Pick<WorkspaceReview, "reply" | "resolve">;
}) {
  const [reply, setReply] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const t = () => props.thread;
  const send = () => {
    const text = reply().trim();
    if (text === "" || busy()) return;
    setBusy(true);
    props.review
      .reply(t().id, text)
      .then(
        () => setReply(""),
        (err: unknown) => toastError(err, "Cannot reply"),
      )
      .finally(() => setBusy(false));
  };
  const toggle = () =>
    props.review.resolve(t().id, !t().resolved).catch((err: unknown) => toastError(err, "Cannot change the thread"));
  return (
    <div
      class="review-thread"
      classList={{ resolved: t().resolved }}
      data-testid="review-thread"
      data-resolved={String(t().resolved)}
      data-origin={t().origin}
    >
      <div class="row">
        <Show when={t().origin === "reject"}>
          <span class="chip st-reject" title="Opened by a rejection">
            Rejected
          </span>
        </Show>
        <Show when={t().resolved}>
          <span class="muted">Resolved by {t().resolved_by?.name}</span>
        </Show>
        <Show when={props.canResolve}>
          <button class="btn ghost end" onClick={() => void toggle()} data-testid="review-resolve">
            {t().resolved ? "Reopen" : "Resolve"}
          </button>
        </Show>
      </div>
      <Show when={t().pin}>
        {(p) => (
          <button
            class="btn ghost pin"
            onClick={() => props.onPin()}
            disabled={!p().entity_id}
            data-testid="review-pin"
            title="Show on the canvas"
          >
            Pinned to {pinLabel(p())}
          </button>
        )}
      </Show>
      <For each={t().messages}>
        {(m) => (
          <div class="review-message" data-testid="review-message">
            <b>{m.author.name}</b> <span class="when">{timeAgo(m.at)}</span>
            <div class="text">{m.text}</div>
          </div>
        )}
      </For>
      <Show when={props.canWrite && !t().resolved}>
        <div class="row">
          <input
            class="input grow"
            placeholder="Reply…"
            aria-label="Reply"
            value={reply()}
            onInput={(e) => setReply(e.currentTarget.value)}
            onKeyDown={(e) => e.key === "Enter" && send()}
            data-testid="review-reply-text"
          />
          <button class="btn" disabled={reply().trim() === "" || busy()} onClick={send} data-testid="review-reply-send">
            Reply
          </button>
        </div>
      </Show>
    </div>
  );
}

import { createEffect, createSignal, For, on, Show } from "solid-js";
import type { Role } from "@tessera/shared-crdt";
import type { ReviewThread } from "@tessera/shared-crdt/api";
import { timeAgo } from "../pages/workspace/activityText.js";
import { toastError } from "../ui/toasts.js";
import type { WorkspaceContext } from "../pages/workspace/workspaceContext.js";
import { pinLabel, pinOfSelection } from "./pins.js";
import type { PinChoice } from "./pinState.js";
import type { WorkspaceReview } from "./workspaceReview.js";
import "./review.css";

/**
 * The workspace's Review tab (SPEC RV): the record's threads — open ones first — with their pins (numbered as on the
 * canvas; a pinned object is selected and outlined from here), replies, and resolve / reopen for reviewers; a new
 * comment, pinned to the selected object, or to a point or region drawn on the canvas (SPEC RV9).
 */
export function ReviewTab(props: {
  ctx: WorkspaceContext;
  role: Role;
  review: Pick<WorkspaceReview, "threads" | "open" | "reply" | "resolve" | "pins">;
}) {
  const canWrite = () => props.role !== "viewer";
  const canResolve = () => props.role === "reviewer" || props.role === "admin";
  const pins = props.review.pins;
  const [text, setText] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const selected = () => {
    const p = pinOfSelection(props.ctx.selection(), (r) => props.ctx.index.entityOf(r));
    // On a video the object pin keeps the frame it was made on (SPEC RV9).
    const frame = props.ctx.controller()?.getFrame() ?? -1;
    return p && frame >= 0 ? { ...p, frame_index: frame } : p;
  };
  /** The pin the next comment gets; undefined while a point or region is still to be drawn. */
  const pin = () => {
    switch (pins.choice()) {
      case "none":
        return null;
      case "object":
        return selected();
      case "point":
      case "region":
        return pins.drawn() ?? undefined;
    }
  };
  const sorted = () => [...props.review.threads()].sort((a, b) => Number(a.resolved) - Number(b.resolved));
  const submit = () => {
    const t = text().trim();
    const p = pin();
    if (t === "" || busy() || p === undefined) return;
    setBusy(true);
    props.review
      .open(t, p)
      .then(
        () => {
          setText("");
          pins.reset();
        },
        (err: unknown) => toastError(err, "Cannot comment"),
      )
      .finally(() => setBusy(false));
  };
  const pinHint = () => {
    const p = pin();
    if (pins.capturing() === "point") return "Click the image to place the point (Esc cancels)";
    if (pins.capturing() === "region") return "Drag a region on the image (Esc cancels)";
    if (p) return `Pin to ${pinLabel(p)}`;
    return pins.choice() === "object" ? "Select an object to pin" : "Not pinned";
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
            <select
              class="input"
              aria-label="Pin the comment to"
              value={pins.choice()}
              onChange={(e) => pins.choose(e.currentTarget.value as PinChoice)}
              data-testid="review-new-pin-choice"
            >
              <option value="object">Pin to selected object</option>
              <option value="point">Pin to a point…</option>
              <option value="region">Pin to a region…</option>
              <option value="none">No pin</option>
            </select>
            <span class="spacer" />
            <button
              class="btn primary"
              disabled={text().trim() === "" || busy() || pin() === undefined}
              onClick={submit}
              data-testid="review-new-send"
            >
              Comment
            </button>
          </div>
          <div class="muted review-pin-hint" data-testid="review-new-pin">
            {pinHint()}
          </div>
        </div>
      </Show>
      <label class="muted review-show-resolved">
        <input
          type="checkbox"
          checked={pins.showResolved()}
          onChange={(e) => pins.setShowResolved(e.currentTarget.checked)}
          data-testid="review-show-resolved"
        />{" "}
        Show resolved pins on the canvas
      </label>
      <Show
        when={props.review.threads().length > 0}
        fallback={<div class="muted">No review comments on this record.</div>}
      >
        <div class="review-threads">
          <For each={sorted()}>
            {(t) => (
              <Thread
                thread={t}
                number={pins.numberOf(t.id)}
                focused={pins.focused}
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
  /** Its pin's number on the canvas (null: not drawn there). */
  number: number | null;
  focused: () => string | null;
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
  let el: HTMLDivElement | undefined;
  const isFocused = () => props.focused() === t().id;
  // A click on its pin on the canvas brings the thread into view.
  createEffect(
    on(props.focused, (id) => {
      if (id === t().id) el?.scrollIntoView({ block: "nearest" });
    }),
  );
  const toggle = () =>
    props.review.resolve(t().id, !t().resolved).catch((err: unknown) => toastError(err, "Cannot change the thread"));
  return (
    <div
      ref={el}
      class="review-thread"
      classList={{ resolved: t().resolved, focused: isFocused() }}
      data-focused={String(isFocused())}
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
            <Show when={props.number}>{(n) => <b class="review-pin-no">{n()}</b>}</Show> Pinned to {pinLabel(p())}
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

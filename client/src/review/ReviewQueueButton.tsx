import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import type { ExplorerQuery } from "../api/explorerQuery.js";
import { getReviewQueue } from "../api/review.js";
import { onStatusChange } from "../live/liveStore.js";
import { timeAgo } from "../pages/workspace/activityText.js";
import { toastError } from "../ui/toasts.js";
import { openQueued } from "./reviewFlow.js";
import "./review.css";

/**
 * The review queue in the explorer (SPEC RV7): how many records wait for review, and the list — oldest submission
 * first; "Start reviewing" opens the first. Without assignments, the queue is every record in review.
 */
export function ReviewQueueButton(props: { datasetId: string; query: ExplorerQuery }) {
  const [open, setOpen] = createSignal(false);
  const [queue, { refetch }] = createResource(
    () => props.datasetId,
    async (id) => {
      try {
        return await getReviewQueue(id, 50);
      } catch (err) {
        toastError(err, "Cannot read the review queue");
        return null;
      }
    },
  );
  // A submit, an approval or a rejection anywhere in the dataset changes the queue.
  onCleanup(onStatusChange(() => void refetch()));
  const total = () => queue()?.total ?? 0;
  return (
    <div class="review-queue">
      <button
        class="btn"
        onClick={() => setOpen(!open())}
        aria-expanded={open()}
        data-testid="review-queue-button"
        title="Records waiting for review, oldest first (no assignments yet: the same queue for every reviewer)"
      >
        Review queue{" "}
        <span class="badge" data-testid="review-queue-count">
          {total()}
        </span>
      </button>
      <Show when={open()}>
        <div class="panel" data-testid="review-queue">
          <div class="row">
            <b>Waiting for review</b>
            <span class="spacer" />
            <button
              class="btn primary"
              disabled={total() === 0}
              data-testid="review-queue-start"
              onClick={() => openQueued(props.datasetId, queue()?.items[0]?.record_id ?? null, props.query)}
            >
              Start reviewing
            </button>
          </div>
          <Show when={total() > 0} fallback={<div class="muted">Nothing waits for review.</div>}>
            <For each={queue()?.items ?? []}>
              {(item) => (
                <button
                  class="btn ghost item"
                  data-testid="review-queue-item"
                  data-record={item.record_id}
                  onClick={() => openQueued(props.datasetId, item.record_id, props.query)}
                >
                  <span class="mono">{item.record_id}</span>
                  <span class="muted">
                    {item.submitted_by ? `${item.submitted_by.name} · ` : ""}
                    waiting since {timeAgo(item.waiting_since)}
                  </span>
                </button>
              )}
            </For>
          </Show>
        </div>
      </Show>
    </div>
  );
}

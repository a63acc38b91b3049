import type { NamedAction, StatusChange } from "@tessera/shared-crdt";
import type { ReviewPin } from "@tessera/shared-crdt/api";
import type { ExplorerQuery } from "../api/explorerQuery.js";
import { getReviewQueue } from "../api/review.js";
import { dispatchFollow } from "../app/follow.js";
import { navigate } from "../app/router.js";
import { explorerRoute, workspaceRoute } from "../app/routes.js";
import { toast } from "../ui/toasts.js";

/**
 * Reviewing fast (SPEC RV7): the next record of the review queue — records in review, oldest submission first; with
 * no assignments yet the queue is the same for every reviewer — other than the one just reviewed.
 */
async function nextInQueue(datasetId: string, exceptRecordId: string | null): Promise<string | null> {
  const queue = await getReviewQueue(datasetId, 2);
  return queue.items.find((i) => i.record_id !== exceptRecordId)?.record_id ?? null;
}

/** Opens a record of the queue, or the explorer filtered on records in review when the queue is empty. */
export function openQueued(datasetId: string, recordId: string | null, query: ExplorerQuery): void {
  dispatchFollow({ type: "userNavigated" });
  if (recordId) {
    navigate(workspaceRoute(datasetId, recordId, query));
    return;
  }
  toast("The review queue is empty", "info");
  navigate(explorerRoute(datasetId, query));
}

/** Approve (or reject with its reason and pin), then open the next record waiting for review. */
export async function reviewAndNext(
  transition: (recordId: string, action: NamedAction, comment: string, pin: ReviewPin | null) => Promise<StatusChange>,
  o: {
    datasetId: string;
    recordId: string;
    query: ExplorerQuery;
    action: "approve" | "reject";
    comment?: string;
    pin?: ReviewPin | null;
  },
): Promise<void> {
  await transition(o.recordId, o.action, o.comment ?? "", o.pin ?? null);
  openQueued(o.datasetId, await nextInQueue(o.datasetId, o.recordId), o.query);
}

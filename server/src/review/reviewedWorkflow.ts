import type { NamedAction } from "@tessera/shared-crdt";
import type { ReviewPin } from "@tessera/shared-crdt/api";
import { checkPin, type ReviewStore } from "./ReviewStore.js";

/**
 * A workflow action with its review side (SPEC RV5, RV6): a rejection's comment opens a review thread on the record
 * (its `comment` field is left as it is) — checked before the status changes, so a record with no room for one more
 * thread is refused whole — and the answer waits until the stamps of the change are on disk.
 */
export function reviewedWorkflow(review: ReviewStore, onError: (msg: string, err: unknown) => void) {
  return async <T>(
    datasetId: string,
    recordId: string,
    action: NamedAction,
    who: { readonly id: string; readonly name: string },
    comment: string,
    pin: ReviewPin | null,
    apply: () => Promise<T>,
  ): Promise<T> => {
    const reason = action === "reject" ? comment.trim() : "";
    if (reason !== "") {
      if (pin) checkPin(pin);
      await review.checkCanOpen(datasetId, recordId);
    }
    const result = await apply();
    if (reason !== "") {
      try {
        await review.open(datasetId, recordId, { id: who.id, name: who.name }, reason, { origin: "reject", pin });
      } catch (err) {
        // The status already changed (it is durable): say the reason could not be kept rather than fail the action.
        onError(`review: the rejection of ${recordId} is done but its reason could not be stored`, err);
      }
    }
    await review.settled(datasetId);
    return result;
  };
}

import { createResource, onCleanup, type Accessor } from "solid-js";
import type { ReviewStamp } from "@tessera/shared-crdt/api";
import { listStamps } from "../api/review.js";
import { onActivity } from "../live/liveStore.js";
import { toastError } from "../ui/toasts.js";

/**
 * The review stamps of the records on an explorer page (SPEC RV6): who submitted, who reviewed, rejected or not.
 * Read again when a status change or a review thread of one of them reaches the live channel.
 */
export function pageStamps(
  datasetId: () => string,
  recordIds: Accessor<readonly string[]>,
): Accessor<ReadonlyMap<string, ReviewStamp>> {
  const [stamps, { refetch }] = createResource(
    () => ({ id: datasetId(), ids: recordIds() }),
    async ({ id, ids }): Promise<ReadonlyMap<string, ReviewStamp>> => {
      if (ids.length === 0) return new Map();
      try {
        return new Map((await listStamps(id, ids)).map((s) => [s.record_id, s]));
      } catch (err) {
        toastError(err, "Cannot read who submitted and reviewed");
        return new Map();
      }
    },
  );
  onCleanup(
    onActivity((a) => {
      if (a.kind !== "edit" && recordIds().includes(a.recordId)) void refetch();
    }),
  );
  return () => stamps() ?? stamps.latest ?? new Map();
}

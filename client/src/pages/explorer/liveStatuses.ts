import { createSignal, onCleanup, type Accessor } from "solid-js";
import { onStatusChange } from "../../live/liveStore.js";

/**
 * Statuses changed since the listing was read, from the dataset's live channel (`record:status`):
 * the explorer shows a record's new status as soon as someone submits, approves or rejects it, without
 * reloading its page. A status heard live is never older than a listing read before it, and one read
 * after it holds the same value, so the live value wins.
 */
export function liveStatuses(datasetId: () => string): Accessor<ReadonlyMap<string, string>> {
  const [statuses, setStatuses] = createSignal<ReadonlyMap<string, string>>(new Map());
  onCleanup(
    onStatusChange((c) => {
      if (c.datasetId !== datasetId()) return;
      setStatuses((prev) => new Map(prev).set(c.recordId, c.to));
    }),
  );
  return statuses;
}

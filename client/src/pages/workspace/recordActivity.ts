import { createSignal, onCleanup, type Accessor } from "solid-js";
import type { ActivityEntry } from "@tessera/shared-crdt";
import { listActivity } from "../../api/endpoints.js";
import { ApiError } from "../../api/http.js";
import { onActivity, onStatusChange } from "../../live/liveStore.js";
import { toast, toastError } from "../../ui/toasts.js";

const VERBS: Record<string, string> = {
  submit: "submitted this record for review",
  approve: "approved this record",
  reject: "rejected this record",
  reopen: "reopened this record",
};

/**
 * A record's activity (history from REST, then live entries) and a toast when someone else
 * changes its status (UI.md: status changes and review comments by others appear as a toast).
 */
export function recordActivity(
  datasetId: string,
  recordId: string,
  myUserId: string,
): Accessor<readonly ActivityEntry[]> {
  const [activity, setActivity] = createSignal<readonly ActivityEntry[]>([]);
  const load = (): void => {
    listActivity(datasetId, { recordId, limit: 100 }).then(
      (list) => setActivity((now) => [...now, ...list.filter((a) => !now.some((b) => b.id === a.id))]),
      (err: unknown) => {
        // Offline: read when the network is back, without a toast; a 404 is the page's "No such record".
        if (!navigator.onLine && !(err instanceof ApiError)) window.addEventListener("online", load, { once: true });
        else if (!(err instanceof ApiError && err.status === 404)) toastError(err, "Cannot read the activity");
      },
    );
  };
  load();
  onCleanup(() => window.removeEventListener("online", load));
  onCleanup(
    onActivity(
      (a) => a.recordId === recordId && setActivity((list) => (list.some((b) => b.id === a.id) ? list : [a, ...list])),
    ),
  );
  onCleanup(
    onStatusChange((c) => {
      // The automatic start on a first edit is in the feed; a toast for it would only be noise.
      if (c.recordId !== recordId || c.by.id === myUserId || c.action === "edit") return;
      toast(`${c.by.name} ${VERBS[c.action] ?? c.action}${c.comment ? `: “${c.comment}”` : ""}`, "status");
    }),
  );
  return activity;
}

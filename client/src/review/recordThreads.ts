import { createSignal, onCleanup, type Accessor } from "solid-js";
import type { ReviewThread } from "@tessera/shared-crdt/api";
import { listThreads } from "../api/review.js";
import { ApiError } from "../api/http.js";
import { onReviewThread } from "../live/liveStore.js";
import { toast, toastError } from "../ui/toasts.js";

/**
 * A record's review threads (SPEC RV): read over REST, then kept current by the live channel's `review:thread`
 * events (a thread arrives whole, so the newest copy simply replaces the one held). Someone else's new thread or
 * reply on this record is also said in a toast.
 */
export function recordThreads(
  datasetId: string,
  recordId: string,
  myUserId: string,
): { threads: Accessor<readonly ReviewThread[]>; put(t: ReviewThread): void } {
  const [threads, setThreads] = createSignal<readonly ReviewThread[]>([]);
  const put = (t: ReviewThread) =>
    setThreads((list) => {
      const i = list.findIndex((x) => x.id === t.id);
      if (i < 0) return [...list, t];
      // Out-of-order copies: keep the one with more messages, or the later resolve state.
      const held = list[i];
      if (held && held.messages.length > t.messages.length) return list;
      return list.map((x, j) => (j === i ? t : x));
    });
  const load = (): void => {
    listThreads(datasetId, recordId).then(
      (list) => list.forEach(put),
      (err: unknown) => {
        if (!navigator.onLine && !(err instanceof ApiError)) window.addEventListener("online", load, { once: true });
        else if (!(err instanceof ApiError && err.status === 404)) toastError(err, "Cannot read the review threads");
      },
    );
  };
  load();
  onCleanup(() => window.removeEventListener("online", load));
  onCleanup(
    onReviewThread((e) => {
      if (e.thread.record_id !== recordId) return;
      put(e.thread);
      if (e.by.id === myUserId || (e.change !== "opened" && e.change !== "replied")) return;
      // A rejection's reason is already said by the status change's toast.
      if (e.change === "opened" && e.thread.origin === "reject") return;
      const text = e.thread.messages.at(-1)?.text ?? "";
      toast(`${e.by.name} ${e.change === "opened" ? "commented" : "replied"}: “${text}”`, "status");
    }),
  );
  return { threads, put };
}

import { onCleanup } from "solid-js";
import { DEFAULT_QUERY } from "../api/explorerQuery.js";
import { nextForMe } from "../api/assign.js";
import { dispatchFollow } from "../app/follow.js";
import { navigate } from "../app/router.js";
import { workspaceRoute } from "../app/routes.js";
import { identity } from "../session.js";
import { toast, toastError } from "../ui/toasts.js";
import { isNextForMeKey } from "./assignLogic.js";

function isTyping(el: EventTarget | null): boolean {
  return el instanceof HTMLElement && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

/**
 * Opens the next record assigned to me that is not finished for my side (SPEC AS5), skipping the one I am on; the
 * workspace then walks my assignments (previous/next follow the "assigned to me" filter). Shift+N does the same.
 */
async function openNextForMe(datasetId: string, currentRecordId: string | null): Promise<void> {
  try {
    const next = await nextForMe(datasetId, currentRecordId);
    if (!next.item) {
      toast("Nothing left for you here: every record assigned to you is done", "info");
      return;
    }
    dispatchFollow({ type: "userNavigated" });
    const me = identity();
    navigate(
      workspaceRoute(datasetId, next.item.record_id, { ...DEFAULT_QUERY, ...(me ? { assignedTo: me.userId } : {}) }),
    );
  } catch (err) {
    toastError(err, "Cannot find your next record");
  }
}

export function NextForMeButton(props: { datasetId: string; recordId: string | null }) {
  const onKey = (e: KeyboardEvent) => {
    if (!isNextForMeKey(e) || isTyping(e.target)) return;
    e.preventDefault();
    void openNextForMe(props.datasetId, props.recordId);
  };
  window.addEventListener("keydown", onKey);
  onCleanup(() => window.removeEventListener("keydown", onKey));
  return (
    <button
      class="btn"
      data-testid="next-for-me"
      title="Open the next record assigned to you that is not finished (Shift+N)"
      onClick={() => void openNextForMe(props.datasetId, props.recordId)}
    >
      Next for me
    </button>
  );
}

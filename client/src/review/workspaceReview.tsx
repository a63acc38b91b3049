import { createSignal, Show, type Accessor } from "solid-js";
import { availableActions, type NamedAction, type Role, type StatusChange } from "@tessera/shared-crdt";
import type { ReviewPin } from "@tessera/shared-crdt/api";
import type { ExplorerQuery } from "../api/explorerQuery.js";
import type { SelectionRef } from "../canvas/types.js";
import type { LiveStore } from "../live/liveStore.js";
import { statusLabel } from "../ui/StatusChip.js";
import { toast, toastError } from "../ui/toasts.js";
import { pinOfSelection } from "./pins.js";
import { pinState } from "./pinState.js";
import { recordThreads } from "./recordThreads.js";
import { RejectDialog } from "./RejectDialog.js";
import { reviewAndNext } from "./reviewFlow.js";

/**
 * The review side of an open record (SPEC RV): its threads, the rejection dialog (a reason that becomes a thread,
 * pinned to the selected object), approve-and-next and reject-and-next. The workspace page wires it to the top
 * bar, the keyboard and the inspector.
 */
export function workspaceReview(o: {
  datasetId: string;
  recordId: string;
  query: ExplorerQuery;
  live: LiveStore;
  myId: string;
  role: Role;
  status: Accessor<string>;
  selection: Accessor<readonly SelectionRef[]>;
  entityOf: (ref: SelectionRef) => string | null | undefined;
}) {
  const { threads, put } = recordThreads(o.datasetId, o.recordId, o.myId);
  const [rejecting, setRejecting] = createSignal<{ next: boolean } | null>(null);
  const canReview = () => availableActions(o.status(), o.role).includes("approve");
  const transition = (recordId: string, action: NamedAction, comment: string, pin: ReviewPin | null) =>
    o.live.conn.transition(recordId, action, comment, pin);
  const said = (c: StatusChange) => toast(`${statusLabel(c.from)} → ${statusLabel(c.to)}`);
  const base = { datasetId: o.datasetId, recordId: o.recordId, query: o.query };

  const reject = (comment: string, pin: ReviewPin | null, next: boolean) => {
    const done = next
      ? reviewAndNext(transition, { ...base, action: "reject", comment, pin })
      : transition(o.recordId, "reject", comment, pin).then(said);
    done.catch((err: unknown) => toastError(err, "Workflow"));
  };
  /** Approve and open the next record in the queue; false when this person may not approve this record now. */
  const approveNext = (): boolean => {
    if (!canReview()) return false;
    reviewAndNext(transition, { ...base, action: "approve" }).catch((err: unknown) => toastError(err, "Workflow"));
    return true;
  };
  /** Opens the rejection dialog (then the queue's next record when `next`); false when not allowed now. */
  const openReject = (next: boolean): boolean => {
    if (!canReview()) return false;
    setRejecting({ next });
    return true;
  };
  const Dialog = () => (
    <Show when={rejecting()}>
      {(r) => (
        <RejectDialog
          pin={pinOfSelection(o.selection(), o.entityOf)}
          next={r().next}
          onReject={reject}
          onClose={() => setRejecting(null)}
        />
      )}
    </Show>
  );
  // Thread changes go over the live channel, as this person (a guest's name included); the answer is the thread.
  const conn = o.live.conn;
  const open = (text: string, pin: ReviewPin | null) => conn.openThread(o.recordId, text, pin).then(put);
  const reply = (threadId: string, text: string) => conn.replyThread(o.recordId, threadId, text).then(put);
  const resolve = (threadId: string, resolved: boolean) => conn.resolveThread(o.recordId, threadId, resolved).then(put);
  const pins = pinState(threads);
  return { threads, canReview, approveNext, openReject, Dialog, open, reply, resolve, pins };
}

export type WorkspaceReview = ReturnType<typeof workspaceReview>;

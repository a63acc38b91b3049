import { For, Show } from "solid-js";
import { availableActions, type NamedAction, type Role } from "@tessera/shared-crdt";
import { syncLabel, type SyncStatus } from "../../sync/SyncTracker.js";
import { Avatar } from "../../ui/Avatar.js";
import { StatusChip } from "../../ui/StatusChip.js";
import { UserMenu } from "../../ui/UserMenu.js";
import { NextForMeButton } from "../../assign/NextForMeButton.js";
import type { Peer } from "./recordBindings.js";

const ACTION_LABELS: Record<NamedAction, string> = {
  edit: "Start",
  submit: "Submit for review",
  approve: "Approve",
  reject: "Reject…",
  reopen: "Reopen",
};

/** The workspace's top bar: navigation, status and workflow actions, sync state, people here. */
export function TopBar(props: {
  datasetId: string;
  datasetName: string;
  recordId: string;
  position: number | null;
  total: number | null;
  hasPrev: boolean;
  hasNext: boolean;
  status: string;
  role: Role;
  sync: SyncStatus;
  /** Edits of this user still queued on other records (sent in the background). */
  queuedElsewhere: number;
  people: readonly Peer[];
  followingId: string | null;
  onBack: () => void;
  onPrev: () => void;
  onNext: () => void;
  onAction: (action: NamedAction, comment: string) => void;
  /** Opens the rejection dialog (SPEC RV5); `next`: then the next record of the review queue. */
  onReject: (next: boolean) => void;
  /** Approve, then open the next record of the review queue (SPEC RV7). */
  onApproveNext: () => void;
  onFollow: (peer: Peer) => void;
  onHelp: () => void;
}) {
  const actions = () => availableActions(props.status, props.role);
  return (
    <header class="ws-top">
      <button
        class="btn ghost icon"
        title="Back to the explorer"
        aria-label="Back to the explorer"
        onClick={() => props.onBack()}
        data-testid="back"
      >
        ←
      </button>
      <div class="title">
        <b>{props.datasetName}</b>
        <span>
          <span class="mono" data-testid="record-id">
            {props.recordId}
          </span>
          <Show when={props.position !== null}>
            <span data-testid="record-position">
              {" "}
              · {props.position} / {props.total}
            </span>
          </Show>
        </span>
      </div>
      <button
        class="btn ghost icon"
        title="Previous record (Shift+←)"
        aria-label="Previous record (Shift+←)"
        disabled={!props.hasPrev}
        onClick={() => props.onPrev()}
        data-testid="prev-record"
      >
        ‹
      </button>
      <button
        class="btn ghost icon"
        title="Next record (Shift+→)"
        aria-label="Next record (Shift+→)"
        disabled={!props.hasNext}
        onClick={() => props.onNext()}
        data-testid="next-record"
      >
        ›
      </button>
      <StatusChip status={props.status} />
      <For each={actions()}>
        {(a) => (
          <button
            class={`btn${a === "approve" || a === "submit" ? " primary" : ""}${a === "reject" ? " danger" : ""}`}
            data-action={a}
            onClick={() => {
              if (a === "reject") props.onReject(false);
              else props.onAction(a, "");
            }}
          >
            {ACTION_LABELS[a]}
          </button>
        )}
      </For>
      <Show when={actions().includes("approve")}>
        <button
          class="btn primary"
          data-action="approve-next"
          title="Approve, then open the next record waiting for review (Shift+A)"
          onClick={() => props.onApproveNext()}
        >
          Approve &amp; next
        </button>
        <button
          class="btn danger"
          data-action="reject-next"
          title="Reject with a comment, then open the next record waiting for review (Shift+R)"
          onClick={() => props.onReject(true)}
        >
          Reject &amp; next…
        </button>
      </Show>
      <span class="spacer" />
      <span
        class={`sync ${props.sync.phase}`}
        data-testid="sync-indicator"
        data-phase={props.sync.phase}
        title="Every edit is saved as you make it"
      >
        <i />
        {syncLabel(props.sync)}
      </span>
      <Show when={props.queuedElsewhere > 0}>
        <span
          class="sync offline"
          data-testid="queued-elsewhere"
          title="Edits made on other records, not yet saved: they are sent in the background"
        >
          +{props.queuedElsewhere} queued on other records
        </span>
      </Show>
      <span class="avatars" data-testid="people-here">
        <For each={props.people}>
          {(p) => (
            <Avatar
              name={p.user.name}
              color={p.user.color}
              testId="peer-avatar"
              title={
                props.followingId === p.user.id
                  ? `Following ${p.user.name}`
                  : `${p.user.name} (${p.user.role}) — click to follow`
              }
              onClick={() => props.onFollow(p)}
            />
          )}
        </For>
      </span>
      <NextForMeButton datasetId={props.datasetId} recordId={props.recordId} />
      <UserMenu datasetId={props.datasetId} onShortcuts={() => props.onHelp()} />
    </header>
  );
}

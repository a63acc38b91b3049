import { createSignal, type Accessor } from "solid-js";
import type { Role } from "@tessera/shared-crdt";
import type { AssignLock, Assignment } from "@tessera/shared-crdt/api";
import { listAssignments } from "../api/assign.js";
import { onAssignChange, onStatusChange } from "../live/liveStore.js";
import { toastError } from "../ui/toasts.js";
import { lockReason } from "./assignLogic.js";

/**
 * The open dataset's assignments and lock, as signals shared by the explorer's column and toolbar and the
 * workspace: read once per dataset, read again on every `assign:changed` event (SPEC AS7) of that dataset.
 */
export interface AssignState {
  readonly byRecord: Accessor<ReadonlyMap<string, Assignment>>;
  readonly lock: Accessor<AssignLock | null>;
  /** Bumped on every assignment or status change: progress and "next for me" read again. */
  readonly version: Accessor<number>;
  refresh(): Promise<void>;
}

let current: { datasetId: string; state: AssignState; stops: Array<() => void> } | null = null;

export function assignStateFor(datasetId: string): AssignState {
  if (current?.datasetId === datasetId) return current.state;
  for (const stop of current?.stops ?? []) stop();
  const [byRecord, setByRecord] = createSignal<ReadonlyMap<string, Assignment>>(new Map());
  const [lock, setLock] = createSignal<AssignLock | null>(null);
  const [version, setVersion] = createSignal(0);
  const refresh = async () => {
    try {
      const list = await listAssignments(datasetId);
      setByRecord(new Map(list.items.map((a) => [a.record_id, a])));
      setLock(list.lock);
      setVersion((v) => v + 1);
    } catch (err) {
      toastError(err, "Cannot read the assignments");
    }
  };
  const state: AssignState = { byRecord, lock, version, refresh };
  const stops = [
    onAssignChange(() => void refresh()),
    onStatusChange((c) => {
      if (c.datasetId === datasetId) setVersion((v) => v + 1);
    }),
  ];
  current = { datasetId, state, stops };
  void refresh();
  return state;
}

/** Why the assignment lock keeps me off this record (SPEC AS6), for the workspace's read-only banner; null if not. */
export function assignLockReason(datasetId: string, recordId: string, me: { id: string; role: Role }): string | null {
  const state = assignStateFor(datasetId);
  return lockReason(state.lock(), state.byRecord().get(recordId) ?? null, me);
}

import { createSignal } from "solid-js";
import type { SelectionRef, Viewport } from "../canvas/types.js";
import { currentLive, onFollowEvent } from "../live/liveStore.js";
import { toast, toastError } from "../ui/toasts.js";
import { IDLE, transition, type FollowEvent, type FollowState } from "./followMachine.js";
import { navigate, route } from "./router.js";
import { workspaceRoute } from "./routes.js";

/**
 * Follow mode wired to the app: runs {@link transition} and its effects (live channel, navigation,
 * the open workspace's camera and selection). The workspace registers itself while mounted.
 */
export interface FollowTarget {
  readonly recordId: string;
  setViewport(v: Viewport): void;
  select(refs: readonly SelectionRef[]): void;
}

const [followState, setFollowState] = createSignal<FollowState>(IDLE);
export { followState };

let target: FollowTarget | null = null;

export function registerFollowTarget(t: FollowTarget): () => void {
  target = t;
  return () => {
    if (target === t) target = null;
  };
}

function currentRecordId(): string | null {
  const r = route();
  return r.page === "workspace" ? r.recordId : null;
}

/** Feeds an event to the state machine and runs what it asks for; true when the event was used. */
export function dispatchFollow(event: FollowEvent): boolean {
  const result = transition(followState(), event, { currentRecordId: currentRecordId() });
  setFollowState(result.state);
  for (const effect of result.effects) {
    switch (effect.type) {
      case "setFollow": {
        const live = currentLive();
        if (!live) {
          if (effect.userId !== null) dispatchFollow({ type: "failed", error: "not connected" });
          break;
        }
        const userId = effect.userId;
        live.conn.follow(userId).then(
          (recordId) => {
            if (userId !== null) dispatchFollow({ type: "started", recordId });
          },
          (err: unknown) => {
            if (userId !== null)
              dispatchFollow({ type: "failed", error: err instanceof Error ? err.message : String(err) });
            else toastError(err, "Stop following");
          },
        );
        break;
      }
      case "navigate": {
        const r = route();
        if (r.page === "workspace" || r.page === "explorer")
          navigate(workspaceRoute(r.datasetId, effect.recordId, r.query));
        break;
      }
      case "setViewport":
        target?.setViewport(effect.viewport);
        break;
      case "select":
        target?.select(effect.refs);
        break;
      case "toast":
        toast(effect.text);
        break;
    }
  }
  return result.handled;
}

onFollowEvent((e) => {
  if (e.kind === "moved") dispatchFollow({ type: "moved", leaderId: e.leader.id, recordId: e.recordId });
  else dispatchFollow({ type: "ended", leaderId: e.leader.id });
});

/** Leaving the dataset ends following without telling anyone (the live connection closes). */
export function resetFollow(): void {
  setFollowState(IDLE);
}

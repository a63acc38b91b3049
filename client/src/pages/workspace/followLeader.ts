import { createEffect, onCleanup, type Accessor } from "solid-js";
import { dispatchFollow, followState, registerFollowTarget } from "../../app/follow.js";
import type { CanvasController, CanvasView, SelectionRef } from "../../canvas/types.js";
import type { Peer } from "./recordBindings.js";

/**
 * Follow mode inside a workspace: lends the camera and the selection to the follow machine, and
 * feeds it the leader's awareness (viewport, selection) whenever it changes.
 */
export function followLeader(o: {
  recordId: string;
  controller: Accessor<CanvasController | null>;
  views: Accessor<CanvasView[] | null>;
  peers: Accessor<readonly Peer[]>;
  setSelection: (refs: readonly SelectionRef[]) => void;
}): void {
  onCleanup(
    registerFollowTarget({
      recordId: o.recordId,
      setViewport: (v) => {
        if ((o.views() ?? []).some((x) => x.id === v.viewId)) o.controller()?.setViewport(v);
      },
      select: (refs) => {
        o.controller()?.select(refs);
        o.setSelection(refs);
      },
    }),
  );
  let last = "";
  createEffect(() => {
    const f = followState();
    const list = o.peers();
    if (f.mode !== "following" || !o.controller()) return;
    const leader =
      list.find((p) => p.user.id === f.leader.id && p.state.recordId === o.recordId) ??
      list.find((p) => p.user.id === f.leader.id);
    if (!leader) return;
    const key = JSON.stringify([leader.state.viewport, leader.state.selection]);
    if (key === last) return;
    last = key;
    dispatchFollow({
      type: "leaderState",
      leaderId: f.leader.id,
      viewport: leader.state.viewport,
      selection: leader.state.selection,
    });
  });
}

import type { SelectionRef, Viewport } from "../canvas/types.js";

/**
 * Follow mode (UI.md "Live collaboration"): click someone's avatar and your record, viewport and
 * selection track theirs until you pan/zoom, navigate yourself or press Esc. A pure state machine:
 * `transition(state, event, ctx)` returns the next state and the effects to run (tell the live
 * channel, navigate, move the camera, select, toast), so it is tested without a browser.
 */
interface Leader {
  readonly id: string;
  readonly name: string;
  readonly color: string;
}

export type FollowState =
  | { readonly mode: "idle" }
  | { readonly mode: "starting"; readonly leader: Leader }
  | { readonly mode: "following"; readonly leader: Leader; readonly recordId: string | null };

export type FollowEvent =
  | { readonly type: "start"; readonly leader: Leader }
  /** The live channel acknowledged `follow:set`; the leader is on this record. */
  | { readonly type: "started"; readonly recordId: string | null }
  | { readonly type: "failed"; readonly error: string }
  /** `follow:moved`: the leader opened another record (or left records: null). */
  | { readonly type: "moved"; readonly leaderId: string; readonly recordId: string | null }
  /** `follow:ended`: the leader left the dataset. */
  | { readonly type: "ended"; readonly leaderId: string }
  /** The leader's awareness in the record we both have open. */
  | {
      readonly type: "leaderState";
      readonly leaderId: string;
      readonly viewport?: Viewport;
      readonly selection?: readonly SelectionRef[];
    }
  /** Our own pan/zoom (`viewportChanged` with byUser). */
  | { readonly type: "userViewport" }
  /** We opened another record ourselves (previous/next, back, explorer). */
  | { readonly type: "userNavigated" }
  | { readonly type: "escape" };

type FollowEffect =
  | { readonly type: "setFollow"; readonly userId: string | null }
  | { readonly type: "navigate"; readonly recordId: string }
  | { readonly type: "setViewport"; readonly viewport: Viewport }
  | { readonly type: "select"; readonly refs: readonly SelectionRef[] }
  | { readonly type: "toast"; readonly text: string };

export interface FollowContext {
  /** The record this tab shows now (null outside a workspace). */
  readonly currentRecordId: string | null;
}

export interface FollowResult {
  readonly state: FollowState;
  readonly effects: readonly FollowEffect[];
  /** True when the event was used (Esc is then not passed on). */
  readonly handled: boolean;
}

export const IDLE: FollowState = { mode: "idle" };

function stop(text?: string): FollowResult {
  return {
    state: IDLE,
    effects: [{ type: "setFollow", userId: null }, ...(text ? [{ type: "toast", text } as const] : [])],
    handled: true,
  };
}

function leaderOf(state: FollowState): Leader | null {
  return state.mode === "idle" ? null : state.leader;
}

export function transition(state: FollowState, event: FollowEvent, ctx: FollowContext): FollowResult {
  const unchanged: FollowResult = { state, effects: [], handled: false };
  const leader = leaderOf(state);
  switch (event.type) {
    case "start":
      if (leader?.id === event.leader.id) return { state, effects: [], handled: true };
      return {
        state: { mode: "starting", leader: event.leader },
        effects: [{ type: "setFollow", userId: event.leader.id }],
        handled: true,
      };
    case "started": {
      if (state.mode !== "starting") return unchanged;
      const effects: FollowEffect[] = [];
      if (event.recordId !== null && event.recordId !== ctx.currentRecordId)
        effects.push({ type: "navigate", recordId: event.recordId });
      return { state: { mode: "following", leader: state.leader, recordId: event.recordId }, effects, handled: true };
    }
    case "failed":
      if (state.mode !== "starting") return unchanged;
      return {
        state: IDLE,
        effects: [{ type: "toast", text: `Cannot follow ${state.leader.name}: ${event.error}` }],
        handled: true,
      };
    case "moved": {
      if (state.mode !== "following" || state.leader.id !== event.leaderId) return unchanged;
      const effects: FollowEffect[] = [];
      if (event.recordId !== null && event.recordId !== ctx.currentRecordId)
        effects.push({ type: "navigate", recordId: event.recordId });
      return { state: { ...state, recordId: event.recordId }, effects, handled: true };
    }
    case "ended":
      if (!leader || leader.id !== event.leaderId) return unchanged;
      // The server already dropped the follow; only say so.
      return {
        state: IDLE,
        effects: [{ type: "toast", text: `${leader.name} left — following stopped` }],
        handled: true,
      };
    case "leaderState": {
      if (state.mode !== "following" || state.leader.id !== event.leaderId) return unchanged;
      if (state.recordId !== null && state.recordId !== ctx.currentRecordId) return unchanged;
      const effects: FollowEffect[] = [];
      if (event.viewport) effects.push({ type: "setViewport", viewport: event.viewport });
      if (event.selection) effects.push({ type: "select", refs: event.selection });
      return { state, effects, handled: true };
    }
    case "userViewport":
    case "userNavigated":
    case "escape":
      if (state.mode === "idle") return unchanged;
      return stop();
  }
}

/** The banner's words ("Following Alice — Esc to stop"), or null when not following. */
export function followBanner(state: FollowState): string | null {
  if (state.mode === "idle") return null;
  return state.mode === "starting" ? `Joining ${state.leader.name}…` : `Following ${state.leader.name} — Esc to stop`;
}

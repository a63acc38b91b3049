import type * as Y from "yjs";
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from "y-protocols/awareness";
import { encodeAwarenessFrame } from "@tessera/shared-crdt";
import { awarenessEntryCount, decodeAwarenessUpdate, encodeAwarenessEntries, stampUser } from "./awarenessCodec.js";
import type { Clock, TimerHandle } from "./clock.js";
import type { AwarenessUser } from "./identity.js";
import type { SyncLimits } from "./limits.js";

/** What the relay needs from a connection. */
export interface AwarenessPeer {
  readonly user: AwarenessUser;
  send(frame: Uint8Array): void;
}

/**
 * `too_many_entries`: the frame announces more entries than `maxAwarenessEntriesPerFrame`;
 * `too_many_clients`: it would give its connection more than `maxAwarenessClientsPerConnection`
 * client ids. Both are abuse (a client has one awareness client id): the caller closes the connection.
 */
export type AwarenessVerdict = "applied" | "too_large" | "rate_limited" | "too_many_entries" | "too_many_clients";

/**
 * Awareness of one record room (collaboration.md §2.3, §3 "awareness spam"). Every state a
 * connection sends gets the server's `user`; each awareness client id belongs to the connection
 * that introduced it (other users' connections cannot overwrite or remove it) and is removed when
 * that connection closes. The relay is leading-edge: a change that arrives when nothing went out in the last
 * `awarenessCoalesceMs` is sent at once; changes that follow within that window are coalesced, the latest state of
 * each client going out once when the window closes. Every send is one frame to every connection — the sender
 * included, since that echo is what keeps a stock client's 30 s liveness timer alive. So an idle room answers a
 * cursor move with no added delay, and a busy one sends at most one frame per window.
 */
export class AwarenessRelay {
  readonly awareness: Awareness;
  private readonly owner = new Map<number, AwarenessPeer>();
  private readonly owned = new Map<AwarenessPeer, Set<number>>();
  private readonly buckets = new Map<AwarenessPeer, { tokens: number; at: number }>();
  private readonly pending = new Set<number>();
  private timer: TimerHandle | null = null;
  /** `clock.elapsed()` of the last frame sent; a change later than one window after it goes out at once. */
  private lastSentAt = Number.NEGATIVE_INFINITY;
  /** The current window: `awarenessCoalesceMs`, wider in a crowded room (`awarenessSendsPerSecond`). */
  private window: number;
  private destroyed = false;

  constructor(
    doc: Y.Doc,
    private readonly clock: Clock,
    private readonly limits: SyncLimits,
    private readonly peers: () => Iterable<AwarenessPeer>,
  ) {
    this.window = limits.awarenessCoalesceMs;
    this.awareness = new Awareness(doc);
    // The server is not a participant: it holds no state of its own.
    this.awareness.setLocalState(null);
    this.awareness.on("update", this.onUpdate);
  }

  private readonly onUpdate = (change: { added: number[]; updated: number[]; removed: number[] }): void => {
    for (const id of change.added) this.pending.add(id);
    for (const id of change.updated) this.pending.add(id);
    for (const id of change.removed) this.pending.add(id);
    if (this.pending.size === 0 || this.timer !== null || this.destroyed) return;
    const wait = this.lastSentAt + this.window - this.clock.elapsed();
    if (wait <= 0) this.flush();
    else this.timer = this.clock.after(wait, () => this.flush());
  };

  /** Sends what changed since the last flush to every connection, as one frame. */
  flush(): void {
    this.timer?.cancel();
    this.timer = null;
    if (this.pending.size === 0 || this.destroyed) return;
    const ids = [...this.pending].filter((id) => this.awareness.meta.has(id));
    this.pending.clear();
    if (ids.length === 0) return;
    const frame = encodeAwarenessFrame(encodeAwarenessUpdate(this.awareness, ids));
    this.lastSentAt = this.clock.elapsed();
    let sent = 0;
    for (const peer of this.peers()) {
      peer.send(frame);
      sent++;
    }
    this.window = Math.max(this.limits.awarenessCoalesceMs, (1000 * sent) / this.limits.awarenessSendsPerSecond);
  }

  /**
   * Applies an awareness update from `peer`. Throws `FrameError` when it does not decode. Entries
   * for client ids another connection owns, or for the server's own id, are ignored.
   */
  apply(peer: AwarenessPeer, update: Uint8Array): AwarenessVerdict {
    // Counted before anything is decoded: 240,000 entries would otherwise cost seconds of JSON parsing. A stock
    // y-websocket client re-sends every awareness change it receives (its update handler does not look at the
    // origin), so a legitimate frame may carry the whole room's states: the cap is the room's size plus the cap.
    const cap = this.limits.maxAwarenessEntriesPerFrame + this.awareness.states.size;
    if (awarenessEntryCount(update) > cap) return "too_many_entries";
    // Those echoes carry nothing new: an entry for a client id this connection does not own, with a clock the
    // relay already has, is dropped before ownership is judged (it is neither a claim nor abuse).
    const entries = decodeAwarenessUpdate(update).filter((e) => !this.isEcho(peer, e));
    // A frame of echoes only costs the sender none of its rate: its own changes still go through.
    if (entries.length === 0) return "applied";
    if (entries.some((e) => e.jsonLength > this.limits.maxAwarenessStateBytes)) return "too_large";
    let mine = this.owned.get(peer);
    // Client ids this frame would add to the connection (the loop below ignores other users' ids).
    const claims = (id: number) => {
      const o = this.owner.get(id);
      return id !== this.awareness.clientID && !mine?.has(id) && (o === undefined || o.user.id === peer.user.id);
    };
    const newIds = new Set(entries.filter((e) => e.state !== null && claims(e.clientID)).map((e) => e.clientID));
    if ((mine?.size ?? 0) + newIds.size > this.limits.maxAwarenessClientsPerConnection) return "too_many_clients";
    if (!this.take(peer)) return "rate_limited";
    const accepted = [];
    for (const e of entries) {
      if (e.clientID === this.awareness.clientID) continue;
      const o = this.owner.get(e.clientID);
      // Another user's client id is never taken over. The same user's is: a client that
      // reconnected before the server noticed its old socket died keeps its presence.
      if (o !== undefined && o !== peer && o.user.id !== peer.user.id) continue;
      if (o !== peer && e.state !== null) {
        if (o) this.owned.get(o)?.delete(e.clientID);
        this.owner.set(e.clientID, peer);
        if (!mine) this.owned.set(peer, (mine = new Set()));
        mine.add(e.clientID);
      }
      accepted.push({ ...e, state: stampUser(e.state, peer.user) });
    }
    if (accepted.length > 0) applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(accepted), peer);
    return "applied";
  }

  /**
   * Whether an entry carries nothing the relay does not have: for another connection's (or a gone) client id,
   * a clock not newer than the relay's; for the connection's own id, an older clock or the same state again
   * (the same clock with a null state is a removal, which is news).
   */
  private isEcho(peer: AwarenessPeer, entry: { clientID: number; clock: number; state: unknown }): boolean {
    const known = this.awareness.meta.get(entry.clientID)?.clock;
    if (known === undefined) return false;
    if (this.owner.get(entry.clientID) !== peer) return entry.clock <= known;
    return entry.clock < known || (entry.clock === known && entry.state !== null);
  }

  /** Token bucket per connection: `awarenessPerSecond` frames, burst of the same size. */
  private take(peer: AwarenessPeer): boolean {
    const now = this.clock.now();
    const rate = this.limits.awarenessPerSecond;
    const b = this.buckets.get(peer) ?? { tokens: rate, at: now };
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(peer, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Forgets a closed connection and broadcasts the removal of every client id it introduced. */
  removePeer(peer: AwarenessPeer): void {
    const ids = [...(this.owned.get(peer) ?? [])];
    this.owned.delete(peer);
    this.buckets.delete(peer);
    for (const id of ids) this.owner.delete(id);
    const present = ids.filter((id) => this.awareness.states.has(id));
    if (present.length > 0) removeAwarenessStates(this.awareness, present, "disconnect");
  }

  /** Every known state as one frame (for a joiner and for query-awareness), or null when there is none. */
  snapshotFrame(): Uint8Array | null {
    const ids = [...this.awareness.states.keys()];
    if (ids.length === 0) return null;
    return encodeAwarenessFrame(encodeAwarenessUpdate(this.awareness, ids));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.timer?.cancel();
    this.timer = null;
    this.awareness.off("update", this.onUpdate);
    this.awareness.destroy();
  }
}

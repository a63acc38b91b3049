import type { CanvasAwareness, SelectionRef } from "../types.js";
import { cssToNumber } from "../render/style.js";

/**
 * Other people on this record, read from awareness states: who they are (name, colour), where
 * their pointer is, what they selected, what they are dragging. Pure bookkeeping (the live layer
 * draws it): it also remembers when each cursor last moved, for fading idle cursors.
 */
export interface RemotePeer {
  readonly clientId: number;
  readonly name: string;
  readonly color: number;
  readonly cursor: { readonly viewId: string; readonly x: number; readonly y: number } | null;
  readonly selection: readonly SelectionRef[];
  readonly dragging: SelectionRef | null;
  /** When the cursor last moved (clock ms). */
  readonly movedAt: number;
}

export class PeerTracker {
  private peers = new Map<number, RemotePeer>();

  constructor(
    private readonly localClientId: number,
    private readonly recordId: string,
  ) {}

  /** Re-reads the states; returns whether anything drawable changed. */
  update(states: ReadonlyMap<number, unknown>, now: number): boolean {
    const next = new Map<number, RemotePeer>();
    let changed = false;
    for (const [clientId, raw] of states) {
      if (clientId === this.localClientId || !raw || typeof raw !== "object") continue;
      const s = raw as CanvasAwareness;
      // People whose state names another record are not on this canvas.
      if (s.recordId !== undefined && s.recordId !== this.recordId) continue;
      const prev = this.peers.get(clientId);
      const cursor =
        s.cursor &&
        typeof s.cursor.x === "number" &&
        typeof s.cursor.y === "number" &&
        typeof s.cursor.viewId === "string"
          ? s.cursor
          : null;
      const moved = !prev || !sameCursor(prev.cursor, cursor);
      const peer: RemotePeer = {
        clientId,
        name: s.user?.name ?? `#${clientId}`,
        color: cssToNumber(s.user?.color),
        cursor,
        selection: Array.isArray(s.selection) ? s.selection : [],
        dragging: s.dragging ?? null,
        movedAt: moved ? now : prev.movedAt,
      };
      if (
        !prev ||
        moved ||
        prev.name !== peer.name ||
        prev.color !== peer.color ||
        !sameRefs(prev.selection, peer.selection) ||
        !sameRef(prev.dragging, peer.dragging)
      )
        changed = true;
      next.set(clientId, peer);
    }
    if (next.size !== this.peers.size) changed = true;
    this.peers = next;
    return changed;
  }

  list(): IterableIterator<RemotePeer> {
    return this.peers.values();
  }

  get size(): number {
    return this.peers.size;
  }
}

/** Opacity of a remote cursor idle for `idleMs`: full, then a linear fade to 0. */
export function cursorAlpha(idleMs: number, fadeAfterMs: number, fadeMs: number): number {
  if (idleMs <= fadeAfterMs) return 1;
  return Math.max(0, 1 - (idleMs - fadeAfterMs) / fadeMs);
}

function sameCursor(a: RemotePeer["cursor"], b: RemotePeer["cursor"]): boolean {
  if (!a || !b) return a === b;
  return a.viewId === b.viewId && a.x === b.x && a.y === b.y;
}

function sameRef(a: SelectionRef | null, b: SelectionRef | null): boolean {
  if (!a || !b) return a === b;
  return a.table === b.table && a.id === b.id;
}

function sameRefs(a: readonly SelectionRef[], b: readonly SelectionRef[]): boolean {
  return a.length === b.length && a.every((r, i) => sameRef(r, b[i] ?? null));
}

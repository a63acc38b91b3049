import { createSignal, onCleanup, type Accessor } from "solid-js";
import type { Awareness } from "y-protocols/awareness";
import type * as Y from "yjs";
import { readRecord, recordMap, type Row } from "@tessera/shared-crdt";
import type { CanvasAwareness } from "../../canvas/types.js";

/** Solid signals over one record document and its awareness (call inside a component). */

/** The record's fields (status, comment, custom fields), updated on every change. */
export function recordFields(doc: Y.Doc): Accessor<Row> {
  const [fields, setFields] = createSignal<Row>(readRecord(doc));
  const m = recordMap(doc);
  const onChange = () => setFields(readRecord(doc));
  m.observe(onChange);
  onCleanup(() => m.unobserve(onChange));
  return fields;
}

export interface Peer {
  readonly clientId: number;
  readonly user: NonNullable<CanvasAwareness["user"]>;
  readonly state: CanvasAwareness;
}

/**
 * Everyone else on this record (one entry per awareness client), plus a memory of which Yjs client
 * belonged to whom, so "last edited by" still has a name after that person left.
 */
export function peers(awareness: Awareness): {
  peers: Accessor<readonly Peer[]>;
  nameOf: (clientId: number) => { name: string; color: string } | null;
} {
  const names = new Map<number, { name: string; color: string }>();
  const read = (): Peer[] => {
    const out: Peer[] = [];
    for (const [clientId, raw] of awareness.getStates()) {
      const state = raw as CanvasAwareness;
      if (state.user) names.set(clientId, { name: state.user.name, color: state.user.color });
      if (clientId === awareness.clientID || !state.user) continue;
      out.push({ clientId, user: state.user, state });
    }
    return out;
  };
  const [list, setList] = createSignal<readonly Peer[]>(read());
  const onChange = () => setList(read());
  awareness.on("change", onChange);
  onCleanup(() => awareness.off("change", onChange));
  return { peers: list, nameOf: (id) => names.get(id) ?? null };
}

/** One avatar per person (several tabs of one person are one avatar). */
export function distinctPeople(list: readonly Peer[], exceptUserId: string | null): Peer[] {
  const seen = new Map<string, Peer>();
  for (const p of list) if (p.user.id !== exceptUserId && !seen.has(p.user.id)) seen.set(p.user.id, p);
  return [...seen.values()];
}

import { createSignal, onCleanup, type Accessor } from "solid-js";
import type * as Y from "yjs";
import { int64Number, observeRecordChanges, readRows } from "@tessera/shared-crdt";

/** A `text_spans` row as the panel reads it (offsets as numbers; int64 beyond 2^53 cannot index a text anyway). */
export interface SpanItem {
  readonly id: string;
  readonly entityId: string;
  readonly viewId: string;
  readonly mention: string;
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

function read(doc: Y.Doc): SpanItem[] {
  return readRows(doc, "text_spans")
    .map((r) => ({
      id: r.id,
      entityId: r.entity_id,
      viewId: r.view_id,
      mention: r.mention,
      starts: r.spans_start.map(int64Number),
      ends: r.spans_end.map(int64Number),
    }))
    .sort((a, b) => (a.starts[0] ?? 0) - (b.starts[0] ?? 0) || a.id.localeCompare(b.id));
}

/**
 * The record's spans, live: re-read on every transaction that touches `text_spans` (local or
 * someone else's), so a span another person makes shows as soon as it arrives. Call inside a
 * reactive owner (the workspace's `open`).
 */
export function spanStore(doc: Y.Doc): Accessor<readonly SpanItem[]> {
  const [spans, setSpans] = createSignal<readonly SpanItem[]>(read(doc));
  onCleanup(
    observeRecordChanges(doc, (changes) => {
      if (changes.tables.has("text_spans")) setSpans(read(doc));
    }),
  );
  return spans;
}

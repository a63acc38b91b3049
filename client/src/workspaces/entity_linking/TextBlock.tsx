import { createMemo, createSignal, Index, onCleanup, onMount, Show } from "solid-js";
import { spanRanges } from "@tessera/shared-crdt";
import { selectionRanges } from "./domOffsets.js";
import type { Linking } from "./linking.js";
import { segmentText, type Mark, type Segment } from "./segments.js";
import { viewOfSpan, type TextView } from "./textViews.js";

/**
 * One text view with its spans highlighted in their entity's colour, the pending selection, and
 * other people's selections (underlined in their colour, their name after the last piece).
 * Selecting text with the mouse starts a pending span; with Ctrl/⌘ held it adds a range to it.
 * Runs are rendered by position (`Index`), so a change elsewhere (someone's selection arriving)
 * updates elements in place instead of replacing them under the pointer or a drag in progress.
 */
export function TextBlock(props: {
  view: TextView;
  content: string;
  linking: Linking;
  colorOf: (entityId: string) => string;
  editable: boolean;
  onSpanClick: (spanId: string) => void;
}) {
  const L = props.linking;
  let root: HTMLDivElement | undefined;
  const spansHere = createMemo(() => {
    const views = L.texts() ?? [];
    return L.spans().filter((s) => viewOfSpan(s.viewId, views)?.id === props.view.id);
  });
  const marks = createMemo<Mark[]>(() => {
    const text = props.content;
    const out: Mark[] = spansHere().map((s) => ({ key: `s:${s.id}`, ranges: spanRanges(text, s.starts, s.ends) }));
    const p = L.pending();
    if (p && p.viewId === props.view.id) out.push({ key: "p", ranges: p.ranges });
    for (const peer of L.peerSelections())
      if (peer.viewId === props.view.id) out.push({ key: `u:${peer.clientId}`, ranges: peer.ranges });
    return out;
  });
  // While this person drags a selection, the runs stay as they are: re-cutting them (someone's
  // selection or span arriving) rewrites the text nodes the browser's selection is anchored in,
  // which collapses it. What arrived in the meantime shows on release.
  const [dragging, setDragging] = createSignal(false);
  const segments = createMemo<Segment[]>((prev) =>
    dragging() && prev ? prev : segmentText(props.content.length, marks()),
  );
  const spanOf = (id: string) => spansHere().find((s) => s.id === id);
  const peerOf = (clientId: string) => L.peerSelections().find((p) => String(p.clientId) === clientId);
  /** The name shown after a peer's selection: on the segment that ends their last range. */
  const peerLabelAt = (seg: Segment): string | undefined => {
    for (const k of seg.keys) {
      if (!k.startsWith("u:")) continue;
      const p = peerOf(k.slice(2));
      const last = p?.ranges[p.ranges.length - 1];
      if (p && last && last.end === seg.end) return p.name;
    }
    return undefined;
  };

  // On the document, not the text: a drag that ends outside the text still selects up to its edge.
  const onMouseUp = (e: MouseEvent) => {
    try {
      capture(e);
    } finally {
      setDragging(false);
    }
  };
  const capture = (e: MouseEvent) => {
    const sel = window.getSelection();
    if (!root || !sel || sel.isCollapsed || !props.editable) return;
    const ranges = selectionRanges(root, sel, props.content.length);
    if (ranges.length === 0) return;
    L.select(props.view.id, ranges, e.ctrlKey || e.metaKey);
    // The pending span is drawn by the panel; the browser's own selection would hide it.
    sel.removeAllRanges();
  };
  const stopDragging = () => setDragging(false);
  onMount(() => {
    document.addEventListener("mouseup", onMouseUp);
    window.addEventListener("blur", stopDragging);
  });
  onCleanup(() => {
    document.removeEventListener("mouseup", onMouseUp);
    window.removeEventListener("blur", stopDragging);
  });

  return (
    <section class="el-view" data-testid="el-view">
      <Show when={props.view.logicalName}>
        <div class="el-view-name faint">{props.view.logicalName}</div>
      </Show>
      <div
        class="el-text"
        ref={root}
        data-testid="el-text"
        data-view-id={props.view.id}
        onMouseDown={(e) => e.button === 0 && setDragging(true)}
      >
        <Index each={segments()}>
          {(seg) => {
            const spanIds = () =>
              seg()
                .keys.filter((k) => k.startsWith("s:"))
                .map((k) => k.slice(2));
            const entities = () =>
              spanIds()
                .map((id) => spanOf(id)?.entityId)
                .filter((x): x is string => !!x);
            const first = () => entities()[0];
            const peer = () => {
              const k = seg().keys.find((x) => x.startsWith("u:"));
              return k ? peerOf(k.slice(2)) : undefined;
            };
            return (
              <span
                class="el-seg"
                classList={{
                  "el-span": spanIds().length > 0,
                  "el-overlap": spanIds().length > 1,
                  "el-lit": entities().some((id) => L.lit().has(id)),
                  "el-pending": seg().keys.includes("p"),
                  "el-peer": !!peer(),
                }}
                style={{
                  "--c": first() ? props.colorOf(first() as string) : undefined,
                  "--peer": peer()?.color,
                }}
                data-testid={spanIds().length > 0 ? "el-seg-span" : undefined}
                data-spans={spanIds().join(" ") || undefined}
                data-entity={first()}
                data-peer={peerLabelAt(seg())}
                title={peer() ? `${peer()?.name} is selecting` : undefined}
                onMouseEnter={() => first() && L.hoverEntity(first() as string)}
                onMouseLeave={() => first() && L.hoverEntity(null)}
                onClick={() => {
                  const id = spanIds()[0];
                  if (id && window.getSelection()?.isCollapsed !== false) props.onSpanClick(id);
                }}
              >
                {props.content.slice(seg().start, seg().end)}
              </span>
            );
          }}
        </Index>
      </div>
    </section>
  );
}

import { createEffect, createMemo, createResource, createSignal, on, onCleanup, type Accessor } from "solid-js";
import {
  createSpan,
  deleteSpan,
  relinkSpan,
  selectionToRanges,
  setSpanRanges,
  withCustom,
  type NewRow,
  type TextRange,
} from "@tessera/shared-crdt";
import { toastError } from "../../ui/toasts.js";
import type { WorkspaceContext } from "../../pages/workspace/workspaceContext.js";
import { readTextSelection, writeTextSelection, type TextSelection } from "./presence.js";
import { spanStore, type SpanItem } from "./spanStore.js";
import { loadTextViews, viewOfSpan, type TextView } from "./textViews.js";

/** Someone else's selection in a text, with who it is. */
interface PeerSelection extends TextSelection {
  readonly clientId: number;
  readonly name: string;
  readonly color: string;
}

/**
 * The entity-linking workspace's state and edits, shared by its panel and its shortcuts: the
 * record's texts, its spans (live), the pending selection (one or more ranges of one text, not yet
 * a span), what is hovered where, and the edits (all through shared-crdt's span mutators, SPEC
 * S-SPANS-CREATE … S-SPANS-RELINK, each one undo step of this person).
 */
export interface Linking {
  readonly texts: Accessor<readonly TextView[] | undefined>;
  readonly textsError: Accessor<unknown>;
  readonly spans: Accessor<readonly SpanItem[]>;
  readonly pending: Accessor<TextSelection | null>;
  readonly peerSelections: Accessor<readonly PeerSelection[]>;
  /** Entities whose spans and shapes are lit: hovered in the text or on the canvas, or selected. */
  readonly lit: Accessor<ReadonlySet<string>>;
  /** The entity the pending span will be linked to (null: a new entity). */
  readonly target: Accessor<string | null>;
  setTarget(entityId: string | null): void;
  /** The name a new entity gets (proposed: the first piece of the pending span). */
  readonly newName: Accessor<string>;
  setNewName(name: string): void;
  /** Adds a selection to the pending span (`additive`, Ctrl/⌘ held) or starts it afresh. */
  select(viewId: string, ranges: readonly TextRange[], additive: boolean): void;
  cancel(): boolean;
  /** Makes the pending span, linked to the target entity or a new one named {@link newName}. */
  confirm(): boolean;
  hoverEntity(entityId: string | null): void;
  remove(spanId: string): void;
  relink(spanId: string, entityId: string): void;
  /** Adds the pending ranges of the same text to an existing span (a discontinuous span grows). */
  extend(spanId: string): void;
}

export function createLinking(ctx: WorkspaceContext): Linking {
  const [texts] = createResource(() => loadTextViews(ctx.datasetId, ctx.recordId));
  const spans = spanStore(ctx.session.doc);
  const [pending, setPending] = createSignal<TextSelection | null>(null);
  const [target, setTarget] = createSignal<string | null>(null);
  const [newName, setNewName] = createSignal("");
  const [hoveredHere, setHoveredHere] = createSignal<string | null>(null);
  const [hoveredCanvas, setHoveredCanvas] = createSignal<string | null>(null);

  const textOf = (viewId: string): string | null => texts()?.find((t) => t.id === viewId)?.content ?? null;

  // ── what is lit ────────────────────────────────────────────────────────────────────────────
  const selectedEntities = createMemo(() => {
    const out = new Set<string>();
    for (const r of ctx.selection()) {
      const e = ctx.index.entityOf(r);
      if (e) out.add(e);
    }
    return out;
  });
  const lit = createMemo<ReadonlySet<string>>(() => {
    const out = new Set(selectedEntities());
    const h = hoveredHere() ?? hoveredCanvas();
    if (h) out.add(h);
    return out;
  });
  // The canvas outlines the shapes of the entity hovered in the text (and of a selected span's entity).
  createEffect(() => {
    const c = ctx.controller();
    const h = hoveredHere();
    const ids = new Set(selectedEntities());
    if (h) ids.add(h);
    c?.highlight(ids);
  });
  createEffect(
    on(ctx.controller, (c) => {
      if (!c) return;
      onCleanup(c.on("hovered", ({ entityId }) => setHoveredCanvas(entityId)));
    }),
  );

  // ── presence: who is selecting text where ──────────────────────────────────────────────────
  createEffect(on(pending, (p) => writeTextSelection(ctx.awareness, p), { defer: true }));
  onCleanup(() => writeTextSelection(ctx.awareness, null));
  const peerSelections = createMemo<readonly PeerSelection[]>(() => {
    const out: PeerSelection[] = [];
    for (const p of ctx.peers()) {
      const sel = readTextSelection(p.state);
      if (sel) out.push({ ...sel, clientId: p.clientId, name: p.user.name, color: p.user.color });
    }
    return out;
  });

  // ── edits ──────────────────────────────────────────────────────────────────────────────────
  const attempt = (what: string, fn: () => void): boolean => {
    if (!ctx.editable()) return false;
    try {
      fn();
      ctx.undo.stopCapturing();
      return true;
    } catch (err) {
      toastError(err, what);
      return false;
    }
  };

  const select = (viewId: string, ranges: readonly TextRange[], additive: boolean) => {
    const text = textOf(viewId);
    if (text === null || !ctx.editable()) return;
    const prev = pending();
    const base = additive && prev && prev.viewId === viewId ? prev.ranges : [];
    try {
      const next = selectionToRanges(text, [...base, ...ranges]);
      setPending(next.length > 0 ? { viewId, ranges: next } : additive ? prev : null);
    } catch (err) {
      toastError(err, "Cannot select this text");
    }
  };

  const cancel = () => {
    if (!pending()) return false;
    setPending(null);
    return true;
  };

  const labelField = ctx.meta.labelField?.name ?? null;
  // A new selection proposes its first piece as the new entity's name.
  createEffect(
    on(
      () => pending()?.ranges[0],
      (r) => {
        const p = pending();
        const text = p ? textOf(p.viewId) : null;
        setNewName(r && text !== null ? text.slice(r.start, r.end) : "");
      },
    ),
  );

  const confirm = (): boolean => {
    const name = newName();
    const p = pending();
    const text = p ? textOf(p.viewId) : null;
    if (!p || text === null) return false;
    const t = target();
    const entity: NewRow<"entities"> =
      labelField && name.trim() !== "" ? withCustom({}, { [labelField]: name.trim() }) : {};
    const done = attempt("Cannot create the span", () => {
      const made = createSpan(
        ctx.docCtx,
        ctx.origin,
        { viewId: p.viewId, text, selection: p.ranges },
        t && ctx.index.get(t) ? { entityId: t } : { entity },
      );
      ctx.select([{ table: "text_spans", id: made.spanId }]);
    });
    if (done) setPending(null);
    return done;
  };

  const extend = (spanId: string) => {
    const p = pending();
    const span = spans().find((s) => s.id === spanId);
    const text = p ? textOf(p.viewId) : null;
    if (!p || !span || text === null || viewOfSpan(span.viewId, texts() ?? [])?.id !== p.viewId) return;
    const ranges = [...span.starts.map((start, k) => ({ start, end: span.ends[k] ?? start })), ...p.ranges];
    if (
      attempt("Cannot add to the span", () =>
        setSpanRanges(ctx.docCtx, ctx.origin, spanId, { viewId: p.viewId, text, selection: ranges }),
      )
    )
      setPending(null);
  };

  // A target entity that disappears (deleted by anyone) falls back to "new entity".
  createEffect(() => {
    const t = target();
    if (t && !ctx.items().some((e) => e.id === t)) setTarget(null);
  });

  return {
    texts,
    textsError: () => texts.error as unknown,
    spans,
    pending,
    peerSelections,
    lit,
    target,
    setTarget,
    newName,
    setNewName,
    select,
    cancel,
    confirm,
    hoverEntity: setHoveredHere,
    remove: (spanId) => void attempt("Cannot delete the span", () => deleteSpan(ctx.docCtx, ctx.origin, spanId)),
    relink: (spanId, entityId) =>
      void attempt("Cannot link the span", () => relinkSpan(ctx.docCtx, ctx.origin, spanId, entityId)),
    extend,
  };
}

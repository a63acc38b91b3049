import * as Y from "yjs";
import { applyTextEdit, tableMap, transact, type Origin } from "@tessera/shared-crdt";

/**
 * Binds a text field to one message's collaborative `content` (SPEC D-TEXT): local typing becomes
 * the smallest edit of the `Y.Text` (so someone else's edit elsewhere in the text survives), and
 * remote edits update the field without moving the caret off the text it was in. A field may show
 * part of the content (an answer's explanation after its `[[A,C]]`): `view` says which part, and
 * `compose` builds the whole content back from the field's text.
 */
export interface TextView {
  /** What the field shows. */
  readonly text: string;
  /** Where that text starts in the content (UTF-16 units). */
  readonly offset: number;
}

export interface TextBindingOptions {
  readonly doc: Y.Doc;
  readonly origin: Origin;
  readonly messageId: string;
  readonly view?: (content: string) => TextView;
  readonly compose?: (content: string, text: string) => string;
  /** Writes content when the cell is not (yet) a `Y.Text`: a message stored before D-TEXT. */
  readonly fallback: (content: string) => void;
}

type Delta = ReadonlyArray<{ insert?: unknown; retain?: number; delete?: number }>;

/**
 * Where a position of a text ends up after a remote change given as a Yjs delta: text inserted at
 * or before it pushes it right, text deleted before it pulls it left, a deletion around it brings
 * it to the cut. `pos` is in the text before the change, the result in the text after it.
 */
export function transformPosition(delta: Delta, pos: number): number {
  let old = 0; // index in the text before the change
  let out = pos;
  for (const op of delta) {
    if (old > pos) break;
    if (op.retain !== undefined) old += op.retain;
    else if (typeof op.insert === "string") out += op.insert.length;
    else if (op.delete !== undefined) {
      if (old < pos) out -= Math.min(op.delete, pos - old);
      old += op.delete;
    }
  }
  return out;
}

const whole = (content: string): TextView => ({ text: content, offset: 0 });

/** The message's content cell: its `Y.Text`, or its string when stored before D-TEXT. */
function cell(doc: Y.Doc, messageId: string): Y.Text | string | null {
  const row = tableMap(doc, "messages").get(messageId);
  if (!(row instanceof Y.Map)) return null;
  const c = row.get("content");
  return c instanceof Y.Text || typeof c === "string" ? c : null;
}

/** Binds `el` until the returned function is called. */
export function bindMessageText(el: HTMLTextAreaElement, o: TextBindingOptions): () => void {
  const view = o.view ?? whole;
  const compose = o.compose ?? ((_c: string, t: string) => t);
  let text: Y.Text | null = null;
  let writing = false;
  /** Where the shown text started in the content the field last showed. */
  let shownOffset = 0;

  const content = (): string => {
    const c = cell(o.doc, o.messageId);
    return c instanceof Y.Text ? c.toString() : (c ?? "");
  };
  const show = () => {
    const v = view(content());
    shownOffset = v.offset;
    if (el.value !== v.text) el.value = v.text;
  };

  const onText = (ev: Y.YTextEvent) => {
    if (writing) return;
    const before = el.value;
    const focused = document.activeElement === el;
    const start = el.selectionStart;
    const end = el.selectionEnd;
    const next = view(content());
    const prevOffset = shownOffset;
    shownOffset = next.offset;
    if (next.text === before) return;
    el.value = next.text;
    if (focused) {
      const map = (p: number) =>
        Math.max(0, Math.min(next.text.length, transformPosition(ev.delta, p + prevOffset) - next.offset));
      el.setSelectionRange(map(start), map(end));
    }
  };

  // The cell itself can change: upgraded from a string, restored by the server, the row replaced.
  const rows = tableMap(o.doc, "messages");
  let row: Y.Map<unknown> | null = null;
  const onRow = (ev: Y.YMapEvent<unknown>) => {
    if (!ev.keysChanged.has("content")) return;
    attach();
    if (!writing) show();
  };
  const onRows = (ev: Y.YMapEvent<Y.Map<unknown>>) => {
    if (ev.keysChanged.has(o.messageId)) attach();
  };
  const attach = () => {
    const r = rows.get(o.messageId);
    const nextRow = r instanceof Y.Map ? r : null;
    if (nextRow !== row) {
      row?.unobserve(onRow);
      row = nextRow;
      row?.observe(onRow);
    }
    const c = cell(o.doc, o.messageId);
    const t = c instanceof Y.Text ? c : null;
    if (t === text) return;
    text?.unobserve(onText);
    text = t;
    text?.observe(onText);
    if (!writing) show();
  };
  rows.observe(onRows);

  const onInput = () => {
    const now = content();
    const next = compose(now, el.value);
    if (next === now) return;
    writing = true;
    try {
      if (text) transact(o.doc, o.origin, () => applyTextEdit(text as Y.Text, next));
      else o.fallback(next);
    } finally {
      writing = false;
    }
    shownOffset = view(next).offset;
    attach();
  };
  el.addEventListener("input", onInput);
  attach();
  show();
  return () => {
    el.removeEventListener("input", onInput);
    rows.unobserve(onRows);
    row?.unobserve(onRow);
    text?.unobserve(onText);
  };
}

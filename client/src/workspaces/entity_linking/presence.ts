import type { Awareness } from "y-protocols/awareness";
import type { TextRange } from "@tessera/shared-crdt";

/**
 * Who is selecting text where: the awareness field `textSelection` (`{viewId, ranges}` or null),
 * written on each change of this person's pending selection and read from everyone else's state.
 * Others' states are untrusted: read through {@link readTextSelection}.
 */
export const TEXT_SELECTION_FIELD = "textSelection";
const MAX_RANGES = 16;

export interface TextSelection {
  readonly viewId: string;
  readonly ranges: readonly TextRange[];
}

export function writeTextSelection(awareness: Awareness, selection: TextSelection | null): void {
  awareness.setLocalStateField(TEXT_SELECTION_FIELD, selection);
}

const isOffset = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** A peer's `textSelection`, or null when absent or malformed (never thrown: it is someone else's data). */
export function readTextSelection(state: unknown): TextSelection | null {
  if (typeof state !== "object" || state === null) return null;
  const sel: unknown = (state as Record<string, unknown>)[TEXT_SELECTION_FIELD];
  if (typeof sel !== "object" || sel === null) return null;
  const { viewId, ranges } = sel as Record<string, unknown>;
  if (typeof viewId !== "string" || !Array.isArray(ranges)) return null;
  const out: TextRange[] = [];
  for (const r of (ranges as unknown[]).slice(0, MAX_RANGES)) {
    if (typeof r !== "object" || r === null) continue;
    const { start, end } = r as Record<string, unknown>;
    if (isOffset(start) && isOffset(end) && start < end) out.push({ start, end });
  }
  return out.length > 0 ? { viewId, ranges: out } : null;
}

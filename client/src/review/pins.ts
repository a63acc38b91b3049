import type { ReviewPin, ReviewThread } from "@tessera/shared-crdt/api";
import { pinKind, type PinInput } from "../canvas/render/pinLayout.js";
import type { SelectionRef } from "../canvas/types.js";

/** A pin on the first selected object (its entity and annotation), or null when nothing is selected. */
export function pinOfSelection(
  selection: readonly SelectionRef[],
  entityOf: (ref: SelectionRef) => string | null | undefined,
): ReviewPin | null {
  const ref = selection[0];
  if (!ref) return null;
  const entity = entityOf(ref);
  if (ref.table === "entities") return { entity_id: ref.id };
  return entity ? { entity_id: entity, annotation_id: ref.id } : { annotation_id: ref.id };
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

/** A pin in words: "object e1", "point 25% · 50% of image", "region … of image". */
export function pinLabel(pin: ReviewPin): string {
  const where = pin.view_name ? ` of ${pin.view_name}` : "";
  const frame = pin.frame_index !== undefined ? `, frame ${pin.frame_index + 1}` : "";
  if (pin.x !== undefined && pin.y !== undefined) {
    if (pin.w !== undefined && pin.h !== undefined)
      return `region ${pct(pin.x)} · ${pct(pin.y)}, ${pct(pin.w)} × ${pct(pin.h)}${where}${frame}`;
    return `point ${pct(pin.x)} · ${pct(pin.y)}${where}${frame}`;
  }
  if (pin.entity_id) return `object ${pin.entity_id}${frame}`;
  if (pin.annotation_id) return `annotation ${pin.annotation_id}${frame}`;
  return `${pin.view_name ?? "record"}${frame}`;
}

/**
 * The record's pins as the canvas draws them and the panel labels them: every thread whose pin
 * places it (a point, a region or an object), numbered 1, 2, … oldest first (ties by id), so a
 * thread keeps its number whoever looks and whatever is resolved.
 */
export function numberedPins(threads: readonly ReviewThread[]): PinInput[] {
  const placed = threads.filter((t) => t.pin !== null && pinKind(t.pin) !== null);
  placed.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
  return placed.map((t, i) => ({
    threadId: t.id,
    number: i + 1,
    pin: t.pin ?? {},
    resolved: t.resolved,
    author: t.messages[0]?.author.name ?? t.author.name,
    firstLine: (t.messages[0]?.text ?? "").split("\n", 1)[0] ?? "",
  }));
}

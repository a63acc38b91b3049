import type { Row } from "@tessera/shared-crdt";

/**
 * Helpers for reading rows into shapes and writing shapes back. Rows may hold pixel coordinates
 * (`is_normalized: false`) or `xyxy` boxes; shapes are always normalised `xywh`, so tools and
 * views deal with one convention (Pixano's: normalised, top-left origin). Each kind's own
 * row → shape conversion lives in its kind module (`client/src/kinds/*.kind.ts`).
 */

export type ViewSizeOf = (viewId: string) => { readonly width: number; readonly height: number } | undefined;

/** The numbers of a row's array column (other items dropped). */
export function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === "number") : [];
}

/** A row's array column as strings. */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/** A row's `view_id` ("" when missing). */
export function viewIdOf(row: Row): string {
  return typeof row.view_id === "string" ? row.view_id : "";
}

/** Axis-aligned bounds `[minX, minY, maxX, maxY]` of flat coordinates (zeros when empty). */
export function coordsBounds(coords: readonly number[]): [number, number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i + 1 < coords.length; i += 2) {
    const x = coords[i] as number;
    const y = coords[i + 1] as number;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return minX <= maxX ? [minX, minY, maxX, maxY] : [0, 0, 0, 0];
}

/** The `bboxes` fields of a normalised box drawn by a person (Pixano's UI convention). */
export function boxRowFields(viewId: string, x: number, y: number, w: number, h: number): Row {
  return {
    view_id: viewId,
    coords: [x, y, w, h],
    format: "xywh",
    is_normalized: true,
    confidence: 1,
    source_type: "human",
  };
}

/** Patch writing a moved/resized box back, normalised `xywh` whatever the row held before. */
export function boxPatch(x: number, y: number, w: number, h: number): Row {
  return { coords: [x, y, w, h], format: "xywh", is_normalized: true };
}

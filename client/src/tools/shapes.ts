import { rleToBbox, type Row } from "@tessera/shared-crdt";
import type { Shape, ShapeTable } from "./types.js";

/**
 * Conversions between stored rows and {@link Shape}s. Rows may hold pixel coordinates
 * (`is_normalized: false`) or `xyxy` boxes; shapes are always normalised `xywh`, so tools and
 * views deal with one convention (Pixano's: normalised, top-left origin).
 */

export type ViewSizeOf = (viewId: string) => { readonly width: number; readonly height: number } | undefined;

function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === "number") : [];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/** The shape a row draws, or null when the row cannot be drawn (wrong arity, no view size for pixels). */
export function shapeOfRow(table: ShapeTable, row: Row, sizeOf: ViewSizeOf): Shape | null {
  const viewId = typeof row.view_id === "string" ? row.view_id : "";
  switch (table) {
    case "bboxes": {
      const c = numbers(row.coords);
      if (c.length !== 4) return null;
      let [x, y, a, b] = c as [number, number, number, number];
      if (row.format === "xyxy") {
        a -= x;
        b -= y;
      }
      if (row.is_normalized === false) {
        const s = sizeOf(viewId);
        if (!s || s.width <= 0 || s.height <= 0) return null;
        x /= s.width;
        a /= s.width;
        y /= s.height;
        b /= s.height;
      }
      return { kind: "box", viewId, x, y, w: a, h: b };
    }
    case "multi_paths": {
      const coords = numbers(row.coords);
      const numPoints = numbers(row.num_points);
      if (coords.length === 0 || coords.length % 2 !== 0 || numPoints.reduce((s, n) => s + n, 0) * 2 !== coords.length)
        return null;
      return { kind: "path", viewId, coords, numPoints, closed: row.is_closed === true };
    }
    case "keypoints": {
      const coords = numbers(row.coords);
      if (coords.length === 0 || coords.length % 2 !== 0) return null;
      const states = strings(row.states);
      return {
        kind: "keypoints",
        viewId,
        coords,
        states,
        templateId: typeof row.template_id === "string" ? row.template_id : "",
      };
    }
    case "masks": {
      const size = numbers(row.size);
      const counts = typeof row.counts === "string" ? row.counts : "";
      const [h, w] = size;
      if (size.length !== 2 || h === undefined || w === undefined || h <= 0 || w <= 0) return null;
      let px: [number, number, number, number];
      try {
        px = rleToBbox({ size, counts });
      } catch (e) {
        // A malformed RLE cannot be drawn; the server repairs invalid rows (D-REPAIR), so skipping is safe.
        console.warn(`masks[${String(row.id)}]: undrawable RLE`, e);
        return null;
      }
      return { kind: "mask", viewId, rle: { size, counts }, box: [px[0] / w, px[1] / h, px[2] / w, px[3] / h] };
    }
  }
}

/** Axis-aligned bounds `[minX, minY, maxX, maxY]` of a shape, normalised. */
export function shapeBounds(shape: Shape): [number, number, number, number] {
  switch (shape.kind) {
    case "box":
      return [shape.x, shape.y, shape.x + shape.w, shape.y + shape.h];
    case "mask":
      return [shape.box[0], shape.box[1], shape.box[0] + shape.box[2], shape.box[1] + shape.box[3]];
    case "path":
    case "keypoints":
      return coordsBounds(shape.coords);
    case "draft":
      return coordsBounds([...shape.rings.flat(), ...shape.current, ...(shape.pointer ?? [])]);
    case "stroke":
      return coordsBounds(shape.points);
  }
}

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

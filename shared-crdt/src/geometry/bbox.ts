import { GeometryError } from "./GeometryError.js";
import { checkImageSize } from "./normalize.js";

/**
 * The two layouts a Pixano `bboxes.format` can declare. `xywh` (top-left corner + size) is
 * what the UI and importers write; `xyxy` (top-left + bottom-right corners) also occurs.
 */
export type BBoxFormat = "xywh" | "xyxy";

/** Four box coordinates, laid out according to some `BBoxFormat`. */
export type Box = [number, number, number, number];

/**
 * Reads a stored `coords` list as a box. Throws `invalid-coords` unless it holds exactly four
 * finite numbers — the shape rule of Pixano's `BBox`; range rules (≥ 0, ≤ 1 when
 * normalised) belong to the schema validator.
 */
export function toBox(coords: readonly number[]): Box {
  const [a, b, c, d] = coords;
  if (
    coords.length !== 4 ||
    a === undefined ||
    b === undefined ||
    c === undefined ||
    d === undefined ||
    !Number.isFinite(a) ||
    !Number.isFinite(b) ||
    !Number.isFinite(c) ||
    !Number.isFinite(d)
  ) {
    throw new GeometryError("invalid-coords", `a bbox needs 4 finite coordinates, got ${JSON.stringify(coords)}`);
  }
  return [a, b, c, d];
}

/** `[x, y, w, h]` → `[x1, y1, x2, y2]`. */
export function xywhToXyxy(coords: readonly number[]): Box {
  const [x, y, w, h] = toBox(coords);
  return [x, y, x + w, y + h];
}

/** `[x1, y1, x2, y2]` → `[x, y, w, h]`. A reversed box gives a negative width/height, unchanged. */
export function xyxyToXywh(coords: readonly number[]): Box {
  const [x1, y1, x2, y2] = toBox(coords);
  return [x1, y1, x2 - x1, y2 - y1];
}

/** Converts between formats; a copy when `from === to`. */
export function convertBbox(coords: readonly number[], from: BBoxFormat, to: BBoxFormat): Box {
  if (from === to) return toBox(coords);
  return from === "xywh" ? xywhToXyxy(coords) : xyxyToXywh(coords);
}

/**
 * Pixel box → normalised box (x and widths over `width`, y and heights over `height`). Works
 * for both formats since each coordinate is either horizontal or vertical in both.
 */
export function normalizeBbox(coords: readonly number[], width: number, height: number): Box {
  checkImageSize(width, height);
  const [a, b, c, d] = toBox(coords);
  return [a / width, b / height, c / width, d / height];
}

/** Normalised box → pixels, the inverse of `normalizeBbox`; format-independent likewise. */
export function denormalizeBbox(coords: readonly number[], width: number, height: number): Box {
  checkImageSize(width, height);
  const [a, b, c, d] = toBox(coords);
  return [a * width, b * height, c * width, d * height];
}

function clamp(v: number, max: number): number {
  return Math.min(Math.max(v, 0), max);
}

/**
 * Clips a box to the image `[0, width] × [0, height]` and returns it in the same format. Pass
 * `width = height = 1` for normalised boxes. A box entirely outside collapses to zero size on
 * the nearest edge instead of being dropped, so callers decide what an empty box means.
 * Reversed `xyxy` corners are put in order first.
 */
export function clampBbox(coords: readonly number[], format: BBoxFormat, width: number, height: number): Box {
  checkImageSize(width, height);
  const [ax, ay, bx, by] = format === "xyxy" ? toBox(coords) : xywhToXyxy(coords);
  const x1 = clamp(Math.min(ax, bx), width);
  const y1 = clamp(Math.min(ay, by), height);
  const x2 = clamp(Math.max(ax, bx), width);
  const y2 = clamp(Math.max(ay, by), height);
  return format === "xyxy" ? [x1, y1, x2, y2] : [x1, y1, x2 - x1, y2 - y1];
}

/** Area of a box; negative extents count as zero. */
export function bboxArea(coords: readonly number[], format: BBoxFormat): number {
  const [x1, y1, x2, y2] = format === "xyxy" ? toBox(coords) : xywhToXyxy(coords);
  return Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
}

/**
 * Intersection over union of two boxes in the same format (and the same units). 0 when they
 * do not overlap or both are empty; like pycocotools `bbIou` for non-crowd boxes.
 */
export function bboxIou(a: readonly number[], b: readonly number[], format: BBoxFormat): number {
  const [ax1, ay1, ax2, ay2] = format === "xyxy" ? toBox(a) : xywhToXyxy(a);
  const [bx1, by1, bx2, by2] = format === "xyxy" ? toBox(b) : xywhToXyxy(b);
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = bboxArea([ax1, ay1, ax2, ay2], "xyxy") + bboxArea([bx1, by1, bx2, by2], "xyxy") - inter;
  return union > 0 ? inter / union : 0;
}

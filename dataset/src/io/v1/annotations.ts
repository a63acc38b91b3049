import { ANNOTATION_KINDS, runsToCounts, type Row, type TableName } from "@tessera/shared-crdt";
import { polygonsToCocoRle } from "../cocoPoly.js";
import { ImportError, type SourceLocation } from "../errors.js";
import { isPlainObject } from "../jsonl.js";
import type { V1Kind } from "./normalize.js";

/**
 * One v1 annotation value → the kind fields of its row. Accepts Pixano 0.7's shapes (a bare bbox
 * list is `xywh`, normalised iff every value is in [0,1], confidence 1.0) and a few friendlier ones
 * (polygon lists, uncompressed RLE counts, a text-span mention located in the text).
 */
/** v1 kind key (`bbox`, `multi_path`, …) → its table, from the kind registry. */
const KIND_TABLE: ReadonlyMap<string, TableName> = new Map(
  ANNOTATION_KINDS.flatMap((k) => (k.io.v1 ? [[k.io.v1.key, k.id as TableName] as const] : [])),
);

/** The table of a v1 kind key the normalizer produced (every one is a registered kind's). */
export function v1Table(kind: V1Kind): TableName {
  const t = KIND_TABLE.get(kind);
  if (t === undefined) throw new Error(`v1 kind "${kind}" is not a registered annotation kind`);
  return t;
}

const KIND_KEYS: ReadonlyMap<string, readonly string[]> = new Map(
  ANNOTATION_KINDS.flatMap((k) => (k.io.v1 ? [[k.io.v1.key, k.io.v1.fields] as const] : [])),
);
const COMMON_KEYS = ["id", "source_type", "source_name", "source_metadata"];

/** An annotation object's own keys vs the custom fields it carries (kept as columns). */
export function splitAnnotation(
  kind: V1Kind,
  value: unknown,
): { known: Record<string, unknown>; custom: Record<string, unknown> } {
  if (!isPlainObject(value)) return { known: {}, custom: {} };
  const known: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if ((KIND_KEYS.get(kind) ?? []).includes(k) || COMMON_KEYS.includes(k)) known[k] = v;
    else custom[k] = v;
  }
  return { known, custom };
}

function isNumberList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === "number" && Number.isFinite(x));
}

function isRingList(v: unknown): v is number[][] {
  return Array.isArray(v) && v.length > 0 && v.every(isNumberList);
}

const inUnit = (v: readonly number[]) => v.every((x) => x >= 0 && x <= 1);

export interface ViewInfo {
  readonly width: number;
  readonly height: number;
  /** Text views: their content (to locate a mention). */
  readonly content?: string;
}

function dims(view: ViewInfo | undefined, where: SourceLocation, what: string): { w: number; h: number } {
  if (!view || !view.width || !view.height)
    throw new ImportError("invalid_value", `${what} need the image size; the view has none`, where);
  return { w: view.width, h: view.height };
}

/** Code-point offsets of the first occurrence of `mention` (Python string indexes). */
function locateMention(content: string, mention: string): [number, number] | null {
  const at = content.indexOf(mention);
  if (at < 0 || mention === "") return null;
  const start = [...content.slice(0, at)].length;
  return [start, start + [...mention].length];
}

export interface Converted {
  readonly fields: Row;
  readonly warning?: string;
}

/** Kind fields (plus `id`/`source_*` when given) of one annotation value. */
export function convertAnnotation(
  kind: V1Kind,
  key: string,
  value: unknown,
  view: ViewInfo | undefined,
  where: SourceLocation,
): Converted {
  const bad = (msg: string): never => {
    throw new ImportError("invalid_value", msg, where);
  };
  const { known } = splitAnnotation(kind, value);
  const common: Row = {};
  for (const k of COMMON_KEYS) if (known[k] !== undefined) common[k] = known[k];
  switch (kind) {
    case "bbox": {
      if (isNumberList(value)) {
        if (value.length !== 4) bad(`a bbox list has 4 values [x, y, w, h], got ${value.length}`);
        return { fields: { coords: value, format: "xywh", is_normalized: inUnit(value), confidence: 1 } };
      }
      if (!isPlainObject(value) || !isNumberList(known.coords))
        return bad('a bbox is [x, y, w, h] or {"coords": [...], "format"?, "is_normalized"?, "confidence"?}');
      const coords = known.coords as number[];
      return {
        fields: {
          ...common,
          coords,
          format: known.format ?? "xywh",
          is_normalized: known.is_normalized ?? inUnit(coords),
          confidence: known.confidence ?? 1,
        },
      };
    }
    case "mask": {
      let polygons: number[][] | undefined;
      if (isNumberList(value)) polygons = [value];
      else if (isRingList(value)) polygons = value;
      else if (isPlainObject(value) && known.polygons !== undefined) {
        polygons = isRingList(known.polygons)
          ? known.polygons
          : isNumberList(known.polygons)
            ? [known.polygons]
            : bad("mask polygons are [[x1, y1, x2, y2, …], …]");
      }
      if (polygons) {
        const { w, h } = dims(view, where, "polygon masks");
        const all = polygons.flat();
        const pixels = inUnit(all) ? polygons.map((p) => p.map((v, i) => v * (i % 2 === 0 ? w : h))) : polygons;
        const rle = polygonsToCocoRle(pixels, h, w);
        return { fields: { ...common, size: [...rle.size], counts: rle.counts } };
      }
      if (!isPlainObject(value)) return bad('a mask is {"size": [h, w], "counts": "…"} (COCO RLE) or polygons');
      let size = known.size;
      if (size === undefined && view?.width && view.height) size = [view.height, view.width];
      if (!isNumberList(size) || size.length !== 2) return bad("a mask needs size [height, width]");
      const counts = known.counts;
      if (typeof counts === "string") return { fields: { ...common, size, counts } };
      if (isNumberList(counts)) return { fields: { ...common, size, counts: runsToCounts(counts) } };
      return bad("mask counts must be a COCO compressed RLE string or a list of run lengths");
    }
    case "keypoints": {
      if (!isPlainObject(value) || !isNumberList(known.coords))
        return bad('keypoints are {"template_id", "coords": [x1, y1, …], "states"?}');
      const coords = known.coords as number[];
      const states = known.states ?? coords.filter((_, i) => i % 2 === 0).map(() => "visible");
      return { fields: { ...common, template_id: known.template_id ?? "", coords, states } };
    }
    case "multi_path": {
      let rings: number[][];
      let closed: boolean;
      if (isNumberList(value) || isRingList(value)) {
        rings = isNumberList(value) ? [value] : value;
        closed = !key.startsWith("polyline");
      } else if (isPlainObject(value) && isNumberList(known.coords)) {
        const coords = known.coords as number[];
        const numPoints = isNumberList(known.num_points) ? known.num_points : [coords.length / 2];
        closed = typeof known.is_closed === "boolean" ? known.is_closed : !key.startsWith("polyline");
        rings = [];
        let at = 0;
        for (const n of numPoints) {
          rings.push(coords.slice(at, at + 2 * n));
          at += 2 * n;
        }
      } else
        return bad(
          'a polygon is [x1, y1, …] or a list of rings; a multi_path is {"coords", "num_points", "is_closed"}',
        );
      const all = rings.flat();
      let warning: string | undefined;
      if (!inUnit(all)) {
        const { w, h } = dims(view, where, "pixel polygons");
        rings = rings.map((r) => r.map((v, i) => v / (i % 2 === 0 ? w : h)));
        warning = "polygon coordinates were pixels; normalised to [0,1] by the image size";
      }
      return {
        fields: { ...common, coords: rings.flat(), num_points: rings.map((r) => r.length / 2), is_closed: closed },
        ...(warning ? { warning } : {}),
      };
    }
    case "text_span": {
      if (typeof value === "string") {
        const span = view?.content !== undefined ? locateMention(view.content, value) : null;
        return {
          fields: { mention: value, spans_start: span ? [span[0]] : [], spans_end: span ? [span[1]] : [] },
          ...(span ? {} : { warning: `mention "${value}" not found in the text; spans left empty` }),
        };
      }
      if (!isPlainObject(value) || typeof known.mention !== "string")
        return bad('a text span is a mention string or {"mention", "spans_start", "spans_end"}');
      return {
        fields: {
          ...common,
          mention: known.mention,
          spans_start: known.spans_start ?? [],
          spans_end: known.spans_end ?? [],
        },
      };
    }
    case "classification": {
      const labels = Array.isArray(value) ? value : isPlainObject(value) ? known.labels : undefined;
      if (!Array.isArray(labels)) return bad('a classification is a list of labels or {"labels", "confidences"?}');
      const confidences =
        isPlainObject(value) && Array.isArray(known.confidences) ? known.confidences : labels.map(() => 1);
      return { fields: { ...common, labels, confidences } };
    }
    default: {
      // A registered kind without a conversion of its own: an object of its declared keys.
      if (!isPlainObject(value)) return bad(`a ${kind} is an object of ${(KIND_KEYS.get(kind) ?? []).join(", ")}`);
      const fields: Row = { ...common };
      for (const k of KIND_KEYS.get(kind) ?? []) if (known[k] !== undefined) fields[k] = known[k];
      return { fields };
    }
  }
}

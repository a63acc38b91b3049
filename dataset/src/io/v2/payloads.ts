import { pointerJoin } from "../errors.js";
import type { Checker } from "./check.js";
import { columnFields, type V2Kind } from "./kinds.js";
import type { ViewPayload } from "./lineSpecs.js";
import type { ViewKind } from "./spec.js";

/** The JSONL v2 grammar of a view's payload and of each annotation kind's own fields (`grammar.ts` parses the rest). */

export function viewPayload(c: Checker, kind: ViewKind, v: unknown, p: string): ViewPayload {
  if (kind === "image" && typeof v === "string") return { kind, uri: v };
  switch (kind) {
    case "image": {
      const o = c.object(v, p, ["uri", "width", "height", "id"]);
      const width = c.optInt(o, "width", p);
      const height = c.optInt(o, "height", p);
      const id = c.optString(o, "id", p);
      return {
        kind,
        uri: c.string(o.uri, pointerJoin(p, "uri")),
        ...(width !== undefined ? { width } : {}),
        ...(height !== undefined ? { height } : {}),
        ...(id ? { id } : {}),
      };
    }
    case "sequence_frames": {
      const o = c.object(v, p, ["frames", "frame_pattern", "fps"]);
      if (
        (o.frames === undefined || o.frames === null) === (o.frame_pattern === undefined || o.frame_pattern === null)
      ) {
        c.fail(p, "exactly one of 'frames' or 'frame_pattern' must be set");
      }
      const fps = c.optNumber(o, "fps", p);
      if (o.frame_pattern !== undefined && o.frame_pattern !== null) {
        if (fps === undefined)
          c.fail(pointerJoin(p, "fps"), "frame_pattern sequences need an explicit fps (nothing is inferred)");
        return { kind, framePattern: c.string(o.frame_pattern, pointerJoin(p, "frame_pattern")), fps };
      }
      const frames = c.array(o.frames, pointerJoin(p, "frames")).map((f, i) => {
        const fp = pointerJoin(pointerJoin(p, "frames"), i);
        const fo = c.object(f, fp, ["uri", "frame_index", "timestamp", "id"]);
        const frameIndex = c.optInt(fo, "frame_index", fp);
        const timestamp = c.optNumber(fo, "timestamp", fp);
        const id = c.optString(fo, "id", fp);
        return {
          uri: c.string(fo.uri, pointerJoin(fp, "uri")),
          ...(frameIndex !== undefined ? { frameIndex } : {}),
          ...(timestamp !== undefined ? { timestamp } : {}),
          ...(id ? { id } : {}),
        };
      });
      return { kind, frames, ...(fps !== undefined ? { fps } : {}) };
    }
    case "text": {
      const o = c.object(v, p, ["uri", "content", "id"]);
      const uri = c.optString(o, "uri", p);
      const content = c.optString(o, "content", p);
      if ((uri === undefined) === (content === undefined)) c.fail(p, "exactly one of 'uri' or 'content' must be set");
      const id = c.optString(o, "id", p);
      return {
        kind,
        ...(uri !== undefined ? { uri } : {}),
        ...(content !== undefined ? { content } : {}),
        ...(id ? { id } : {}),
      };
    }
    case "video": {
      const o = c.object(v, p, ["uri", "fps", "from_timestamp", "to_timestamp", "id"]);
      const fps = c.optNumber(o, "fps", p);
      const id = c.optString(o, "id", p);
      return {
        kind,
        uri: c.string(o.uri, pointerJoin(p, "uri")),
        ...(fps !== undefined ? { fps } : {}),
        fromTimestamp: c.optNumber(o, "from_timestamp", p) ?? 0,
        toTimestamp: c.optNumber(o, "to_timestamp", p) ?? -1,
        ...(id ? { id } : {}),
      };
    }
    case "point_cloud": {
      const o = c.object(v, p, ["uri", "id"]);
      const id = c.optString(o, "id", p);
      return { kind, uri: c.string(o.uri, pointerJoin(p, "uri")), ...(id ? { id } : {}) };
    }
  }
}

export const ANN_COMMON = ["kind", "view", "id", "frame_index", "source", "attrs"];

export function kindFields(c: Checker, kind: V2Kind, o: Record<string, unknown>, p: string): Record<string, unknown> {
  const at = (k: string) => pointerJoin(p, k);
  const need = (k: string) => {
    if (o[k] === undefined || o[k] === null) c.fail(at(k), `a ${kind} annotation needs "${k}"`);
    return o[k];
  };
  switch (kind) {
    case "bbox": {
      const coords = c.numbers(need("coords"), at("coords"));
      if (coords.length !== 4) c.fail(at("coords"), `a bbox has 4 coords, got ${coords.length}`);
      const format =
        o.format === undefined || o.format === null
          ? undefined
          : c.oneOf(o.format, at("format"), ["xywh", "xyxy"] as const);
      const isNormalized = c.optBool(o, "is_normalized", p);
      return { coords, format, is_normalized: isNormalized, confidence: c.optNumber(o, "confidence", p) ?? 1.0 };
    }
    case "mask": {
      const hasRle = o.rle !== undefined && o.rle !== null;
      if (hasRle === (o.polygons !== undefined && o.polygons !== null))
        c.fail(p, "exactly one of 'rle' or 'polygons' must be set");
      if (hasRle) {
        const r = c.object(o.rle, at("rle"), ["size", "counts"]);
        const size = c.int64s(r.size, pointerJoin(at("rle"), "size"));
        if (size.length !== 2) c.fail(pointerJoin(at("rle"), "size"), "size is [height, width]");
        return { size, counts: c.string(r.counts, pointerJoin(at("rle"), "counts")) };
      }
      const polygons = c
        .array(o.polygons, at("polygons"))
        .map((poly, i) => c.numbers(poly, pointerJoin(at("polygons"), i)));
      return { polygons };
    }
    case "keypoints": {
      const coords = c.numbers(need("coords"), at("coords"));
      const states = c.strings(need("states"), at("states"));
      if (coords.length !== 2 * states.length) c.fail(at("coords"), "'coords' must hold exactly 2 values per state");
      return { template_id: c.string(need("template_id"), at("template_id")), coords, states };
    }
    case "multi_path":
      return {
        coords: c.numbers(need("coords"), at("coords")),
        num_points: c.int64s(need("num_points"), at("num_points")),
        is_closed: c.bool(need("is_closed"), at("is_closed")),
      };
    case "text_span": {
      const spansStart = c.int64s(need("spans_start"), at("spans_start"));
      const spansEnd = c.int64s(need("spans_end"), at("spans_end"));
      if (spansStart.length !== spansEnd.length)
        c.fail(at("spans_end"), "'spans_start' and 'spans_end' must have the same length");
      return { mention: c.string(need("mention"), at("mention")), spans_start: spansStart, spans_end: spansEnd };
    }
    case "classification": {
      const labels = c.strings(need("labels"), at("labels"));
      const confidences =
        o.confidences === undefined || o.confidences === null ? undefined : c.numbers(o.confidences, at("confidences"));
      return { labels, confidences };
    }
    default:
      return columnFields(c, kind, o, p);
  }
}

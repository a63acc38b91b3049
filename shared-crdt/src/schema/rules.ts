import { isValidRleString } from "../geometry/rle.js";
import { kindOf } from "../kinds/index.js";
import type { TableName } from "./tables.js";
import { approxNumber } from "./int64.js";

/**
 * Table-level rules of Pixano spec §2.5, checked after every column has its type. Each rule has an
 * id cited by SPEC.md and the tests (S-…). Rules may normalise a row in place (message `type`
 * upper-cased, as Pixano does on input).
 */
export type Row = Record<string, unknown>;
/** A table-level rule: reports issues on a typed row (and may normalise it in place). */
export type TableRule = (row: Row, issue: (field: string, message: string) => void) => void;
type Rule = TableRule;

export const RECORD_STATUSES = ["new", "inProgress", "inReview", "validated"] as const;
export const SOURCE_TYPES = ["model", "human", "ground_truth", "other", ""] as const;
export const BBOX_FORMATS = ["xywh", "xyxy"] as const;
export const KEYPOINT_STATES = ["visible", "invisible", "hidden"] as const;
export const MESSAGE_TYPES = ["SYSTEM", "QUESTION", "ANSWER"] as const;
export const QUESTION_TYPES = [
  "OPEN",
  "SINGLE_CHOICE",
  "SINGLE_CHOICE_EXPLANATION",
  "MULTI_CHOICE",
  "MULTI_CHOICE_EXPLANATION",
] as const;
export const REVIEW_STATUSES = ["", "pending", "accepted", "corrected", "rejected"] as const;

const RLE_CHARS = /^[0-~]*$/; // pycocotools emits characters 48..111; the full printable tail is tolerated

// int64 cells may be bigints (S-INT64): rules compare and sum them as plain numbers.
const nums = (v: unknown): number[] => (Array.isArray(v) ? (v.map(approxNumber) as number[]) : []);
const oneOf = (allowed: readonly string[], v: unknown) => typeof v === "string" && allowed.includes(v);
const list = (allowed: readonly string[]) => allowed.map((a) => JSON.stringify(a)).join(", ");

/** S-ID: ids are non-empty, at most 256 characters, without control characters or slashes. */
export function checkId(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0) return "must be a non-empty string";
  if (value.length > 256) return "must be at most 256 characters";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f/\\]/.test(value)) return "must not contain control characters or slashes";
  return null;
}

function isJsonObjectString(s: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch (err) {
    if (err instanceof SyntaxError) return false; // not JSON: the caller reports it as an issue
    throw err;
  }
  return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed);
}

const provenance: Rule = (row, issue) => {
  if ("source_type" in row && !oneOf(SOURCE_TYPES, row.source_type)) {
    issue("source_type", `must be one of ${list(SOURCE_TYPES)}`);
  }
  if ("source_metadata" in row) {
    const meta = row.source_metadata;
    const ok = typeof meta === "string" && isJsonObjectString(meta);
    if (!ok) issue("source_metadata", "must be a JSON object serialised as a string");
  }
  if ("review_status" in row && !oneOf(REVIEW_STATUSES, row.review_status)) {
    issue("review_status", `must be one of ${list(REVIEW_STATUSES)}`);
  }
};

const frameIndex: Rule = (row, issue) => {
  const frame = approxNumber(row.frame_index);
  if (typeof frame === "number" && frame < -1) {
    issue("frame_index", "must be -1 (still image) or a frame number ≥ 0");
  }
};

const RULES: Partial<Record<TableName, Rule[]>> = {
  // S-RECORD-STATUS: `status` is any string, as in Pixano (`status: str`); the four workflow values
  // (RECORD_STATUSES) drive the workflow, any other puts the record in its `other` state (SPEC W7).
  entity_dynamic_states: [provenance, frameIndex],
  // S-BBOX: 4 finite coords ≥ 0, in [0,1] when normalised, xyxy ordered, confidence in [0,1] or -1.
  bboxes: [
    provenance,
    frameIndex,
    (row, issue) => {
      const c = nums(row.coords);
      if (c.length !== 4) issue("coords", `must have 4 values, got ${c.length}`);
      c.forEach((v, i) => {
        if (v < 0) issue(`coords[${i}]`, "must be ≥ 0");
        else if (row.is_normalized === true && v > 1) issue(`coords[${i}]`, "must be ≤ 1 when is_normalized is true");
      });
      if (!oneOf(BBOX_FORMATS, row.format)) issue("format", `must be one of ${list(BBOX_FORMATS)}`);
      if (row.format === "xyxy" && c.length === 4 && ((c[2] ?? 0) < (c[0] ?? 0) || (c[3] ?? 0) < (c[1] ?? 0))) {
        issue("coords", "xyxy boxes need x2 ≥ x1 and y2 ≥ y1");
      }
      const conf = row.confidence;
      if (typeof conf === "number" && conf !== -1 && (conf < 0 || conf > 1))
        issue("confidence", "must be in [0,1], or -1");
    },
  ],
  // S-MASK: size [h,w] of non-negative ints; counts a pycocotools string; empty mask = [0,0] + "".
  masks: [
    provenance,
    frameIndex,
    (row, issue) => {
      const size = nums(row.size);
      if (size.length !== 2) issue("size", `must be [height, width], got ${size.length} values`);
      size.forEach((v, i) => {
        if (v < 0) issue(`size[${i}]`, "must be ≥ 0");
      });
      const counts = row.counts;
      if (typeof counts === "string") {
        const [h, w] = size;
        const empty = size.length === 2 && h === 0 && w === 0;
        if (empty && counts !== "") issue("counts", "must be empty for an empty (0×0) mask");
        else if (!RLE_CHARS.test(counts)) issue("counts", "is not a COCO compressed RLE string");
        else if (
          !empty &&
          size.length === 2 &&
          h !== undefined &&
          w !== undefined &&
          h >= 0 &&
          w >= 0 &&
          !isValidRleString(counts, h, w)
        ) {
          issue("counts", `is not a COCO compressed RLE of a ${h}×${w} mask (its runs must add up to ${h * w} pixels)`);
        }
      }
    },
  ],
  // S-KEYPOINTS: flat [x,y,…] ≥ 0, one state per point from the closed set.
  keypoints: [
    provenance,
    frameIndex,
    (row, issue) => {
      const c = nums(row.coords);
      if (c.length % 2 !== 0) issue("coords", "must hold x,y pairs (even length)");
      c.forEach((v, i) => {
        if (v < 0) issue(`coords[${i}]`, "must be ≥ 0");
      });
      const states = Array.isArray(row.states) ? (row.states as unknown[]) : [];
      if (states.length !== Math.floor(c.length / 2))
        issue("states", `must have one state per point (${Math.floor(c.length / 2)})`);
      states.forEach((s, i) => {
        if (!oneOf(KEYPOINT_STATES, s)) issue(`states[${i}]`, `must be one of ${list(KEYPOINT_STATES)}`);
      });
    },
  ],
  // S-MULTIPATH: sum(num_points)*2 = len(coords), coords in [0,1], ≥3 points per closed ring, ≥2 per open path.
  multi_paths: [
    provenance,
    frameIndex,
    (row, issue) => {
      const c = nums(row.coords);
      const n = nums(row.num_points);
      if (n.length === 0) issue("num_points", "must list at least one sub-path");
      const min = row.is_closed === true ? 3 : 2;
      n.forEach((k, i) => {
        if (k < min)
          issue(`num_points[${i}]`, `a ${row.is_closed === true ? "closed" : "open"} path needs ≥ ${min} points`);
      });
      const total = n.reduce((a, b) => a + b, 0);
      if (total * 2 !== c.length)
        issue("coords", `must hold 2 × sum(num_points) = ${total * 2} values, got ${c.length}`);
      c.forEach((v, i) => {
        if (v < 0 || v > 1) issue(`coords[${i}]`, "must be normalised to [0,1]");
      });
    },
  ],
  // S-TRACKLET: both frame bounds set together, start ≤ end; same for timestamps.
  tracklets: [
    provenance,
    (row, issue) => {
      for (const [a, b] of [
        ["start_timestep", "end_timestep"],
        ["start_timestamp", "end_timestamp"],
      ] as const) {
        const s = approxNumber(row[a]);
        const e = approxNumber(row[b]);
        if (typeof s !== "number" || typeof e !== "number") continue;
        if ((s === -1) !== (e === -1)) issue(a, `${a} and ${b} are set together (both -1 or both ≥ 0)`);
        else if (s !== -1 && (s < 0 || e < s)) issue(b, `${b} must be ≥ ${a} ≥ 0`);
      }
    },
  ],
  // S-TEXTSPAN: parallel start/end offsets, 0 ≤ start ≤ end.
  text_spans: [
    provenance,
    (row, issue) => {
      const s = nums(row.spans_start);
      const e = nums(row.spans_end);
      if (s.length !== e.length) issue("spans_end", "must have as many values as spans_start");
      s.forEach((v, i) => {
        const end = e[i];
        if (v < 0) issue(`spans_start[${i}]`, "must be ≥ 0");
        if (end !== undefined && end < v) issue(`spans_end[${i}]`, "must be ≥ its start");
      });
    },
  ],
  // S-MESSAGE: type ∈ SYSTEM|QUESTION|ANSWER (upper-cased); question_type only and always on questions.
  messages: [
    provenance,
    (row, issue) => {
      if (typeof row.type === "string") row.type = row.type.toUpperCase();
      if (!oneOf(MESSAGE_TYPES, row.type)) issue("type", `must be one of ${list(MESSAGE_TYPES)}`);
      const number = approxNumber(row.number);
      if (typeof number === "number" && number < 0) issue("number", "must be ≥ 0");
      if (row.type === "QUESTION") {
        if (!oneOf(QUESTION_TYPES, row.question_type))
          issue("question_type", `a QUESTION needs one of ${list(QUESTION_TYPES)}`);
      } else if (row.type !== undefined) {
        if (row.question_type !== "" && row.question_type !== undefined)
          issue("question_type", "only a QUESTION has a question_type");
        if (Array.isArray(row.choices) && row.choices.length > 0) issue("choices", "only a QUESTION has choices");
      }
    },
  ],
  classifications: [
    provenance,
    (row, issue) => {
      const l = Array.isArray(row.labels) ? row.labels.length : 0;
      const c = nums(row.confidences);
      if (c.length !== 0 && c.length !== l) issue("confidences", "must be empty or have one value per label");
      c.forEach((v, i) => {
        if (v !== -1 && (v < 0 || v > 1)) issue(`confidences[${i}]`, "must be in [0,1], or -1");
      });
    },
  ],
  relations: [provenance],
  images: [
    (row, issue) => {
      for (const f of ["width", "height"])
        if (typeof row[f] === "number" && (row[f] as number) < 0) issue(f, "must be ≥ 0");
    },
  ],
};

/** S-VIEW: a view's media is either referenced (`uri`) or embedded (`raw_bytes`), never both. */
const viewRule: Rule = (row, issue) => {
  const bytes = row.raw_bytes;
  if (typeof row.uri === "string" && row.uri !== "" && bytes instanceof Uint8Array && bytes.length > 0) {
    issue("uri", "uri and raw_bytes are mutually exclusive");
  }
};

export function tableRules(table: TableName): readonly Rule[] {
  // A registered kind declares its own rules (docs/ARCHITECTURE.md §9); built-in kinds' are above.
  const rules = RULES[table] ?? kindOf(table)?.rules ?? [];
  const isView = ["images", "sequence_frames", "videos", "texts", "pdfs", "point_clouds"].includes(table);
  return isView ? [...rules, viewRule] : rules;
}

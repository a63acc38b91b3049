import {
  BBOX_FORMATS,
  isTimestampString,
  KEYPOINT_STATES,
  MESSAGE_TYPES,
  QUESTION_TYPES,
  SOURCE_TYPES,
  type ColumnDef,
  type ColumnType,
  type Row,
  type TableName,
  type TableSchema,
} from "@tessera/shared-crdt";
import { ImportError, type SourceLocation } from "./errors.js";
import { laxBool, laxFloat, laxInt, type Converted } from "./laxScalars.js";

/**
 * The checks Pixano 0.8's importer applies to a row it writes: its pydantic table models (field
 * types, then each model's validator) — and nothing more. Imports use these instead of the
 * live-edit rules of shared-crdt (S-ID, S-RECORD-STATUS, S-BBOX, S-MASK…), which are stricter:
 * what Pixano 0.8 imports must import here unchanged. So `/` in ids, record statuses outside the
 * workflow, xyxy boxes with x2 < x1 and mask `counts` that are not a COCO RLE are stored as
 * written, and int64 values keep every digit (`bigint` beyond ±(2^53−1), refused past int64, where
 * Pixano's Arrow conversion fails too).
 */

type Issue = (field: string, message: string) => void;

/** One cell checked against the Python type of Pixano's model field (the value kept, maybe converted). */
function scalar(kind: string, v: unknown): Converted<unknown> {
  switch (kind) {
    case "utf8":
    case "binary_text":
      return typeof v === "string" ? { ok: true, value: v } : { ok: false, message: "must be a string" };
    case "int64":
      return laxInt(v);
    case "float64":
    case "float32":
      return laxFloat(v);
    case "bool":
      return laxBool(v);
    case "timestamp_us":
      return typeof v === "string" && isTimestampString(v)
        ? { ok: true, value: v }
        : { ok: false, message: "must be an ISO timestamp" };
    case "binary":
    case "large_binary":
      return v instanceof Uint8Array ? { ok: true, value: v } : { ok: false, message: "must be bytes" };
    default:
      return { ok: false, message: `has an unknown type ${kind}` };
  }
}

function cell(column: ColumnDef, v: unknown, issue: Issue): unknown {
  if (v === null) {
    if (!column.nullable) issue(column.name, "must not be null");
    return v;
  }
  const t: ColumnType = column.type;
  if (t.kind !== "list" && t.kind !== "fixed_size_list") {
    const r = scalar(t.kind, v);
    if (!r.ok) issue(column.name, r.message);
    return r.ok ? r.value : v;
  }
  if (!Array.isArray(v)) {
    issue(column.name, "must be a list");
    return v;
  }
  if (t.kind === "fixed_size_list" && v.length !== t.dim)
    issue(column.name, `must have exactly ${t.dim} values, got ${v.length}`);
  return v.map((x, i) => {
    const r = scalar(t.of, x);
    if (!r.ok) issue(`${column.name}[${i}]`, r.message);
    return r.ok ? r.value : x;
  });
}

const num = (v: unknown): number => (typeof v === "bigint" ? Number(v) : (v as number));
const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map(num) : []);
const oneOf = (allowed: readonly string[], v: unknown): boolean => typeof v === "string" && allowed.includes(v);

function isJsonText(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch (err) {
    if (err instanceof SyntaxError) return false;
    throw err;
  }
}

/** `EntityAnnotation`'s field validators (source_type in the closed set or "", source_metadata JSON). */
function provenance(row: Row, issue: Issue): void {
  if ("source_type" in row && !oneOf(SOURCE_TYPES, row.source_type))
    issue("source_type", `must be one of ${SOURCE_TYPES.join(", ")} or empty`);
  if (typeof row.source_metadata === "string" && !isJsonText(row.source_metadata))
    issue("source_metadata", "must be valid JSON text");
}

/** Each model's `_validate_fields`, in Pixano's order (first failure reported, as pydantic does). */
const MODEL_CHECKS: Partial<Record<TableName, (row: Row, issue: Issue) => void>> = {
  bboxes(row, issue) {
    const c = nums(row.coords);
    const conf = num(row.confidence);
    if (c.length !== 4) issue("coords", "bounding box coordinates must have 4 elements");
    else if (!c.every((v) => v >= 0)) issue("coords", "bounding box coordinates must be positive");
    else if (row.is_normalized === true && !c.every((v) => v <= 1))
      issue("coords", "normalized bounding box coordinates must be in [0, 1]");
    else if ((conf < 0 || conf > 1) && conf !== -1) issue("confidence", "must be in [0, 1] or -1");
    else if (!oneOf(BBOX_FORMATS, row.format)) issue("format", "must be 'xyxy' or 'xywh'");
  },
  keypoints(row, issue) {
    const c = nums(row.coords);
    const states = Array.isArray(row.states) ? (row.states as unknown[]) : [];
    if (c.length % 2 !== 0) issue("coords", "there must be an even number of coords");
    else if (c.some((v) => v < 0)) issue("coords", "coordinates must be positive");
    else if (states.length !== c.length / 2) issue("states", "there must be as many states as points");
    else if (states.some((s) => !oneOf(KEYPOINT_STATES, s)))
      issue("states", "states must be 'visible', 'invisible' or 'hidden'");
  },
  multi_paths(row, issue) {
    const c = nums(row.coords);
    const n = nums(row.num_points);
    const min = row.is_closed === true ? 3 : 2;
    const bad = n.findIndex((k) => k < min);
    if (c.length % 2 !== 0) issue("coords", "must have an even number of elements (x,y pairs)");
    else if (n.reduce((a, b) => a + b, 0) !== c.length / 2)
      issue("num_points", "sum(num_points) does not match the coordinate pairs");
    else if (bad >= 0)
      issue(`num_points[${bad}]`, `a ${row.is_closed === true ? "polygon" : "polyline"} needs at least ${min} points`);
    else if (!c.every((v) => v >= 0 && v <= 1)) issue("coords", "all coordinates must be normalised to [0, 1]");
  },
  tracklets(row, issue) {
    const [s, e, ts, te] = [row.start_timestep, row.end_timestep, row.start_timestamp, row.end_timestamp].map(num) as [
      number,
      number,
      number,
      number,
    ];
    if (s < -1 || e < -1 || ts < -1 || te < -1) issue("start_timestep", "timesteps and timestamps must be ≥ -1");
    else if ((s !== -1 || e !== -1) && (s === -1 || e === -1 || s > e))
      issue("end_timestep", "start and end timesteps are set together, start ≤ end");
    else if ((ts !== -1 || te !== -1) && (ts === -1 || te === -1 || ts > te))
      issue("end_timestamp", "start and end timestamps are set together, start ≤ end");
  },
  text_spans(row, issue) {
    const s = nums(row.spans_start);
    const e = nums(row.spans_end);
    if (s.length !== e.length) issue("spans_end", "spans offset lists should have the same length");
    else if (!s.every((v, i) => v >= 0 && e[i]! >= 0)) issue("spans_start", "spans offsets must be positive");
    else if (!s.every((v, i) => v <= e[i]!)) issue("spans_end", "end offsets must be ≥ their start offset");
  },
  classifications(row, issue) {
    const l = Array.isArray(row.labels) ? row.labels.length : 0;
    if (nums(row.confidences).length !== l)
      issue("confidences", "labels and confidences lists should have the same length");
  },
  messages(row, issue) {
    // Pixano upper-cases `type` and a non-empty `question_type` before validating.
    if (typeof row.type === "string") row.type = row.type.toUpperCase();
    if (typeof row.question_type === "string") row.question_type = row.question_type.toUpperCase();
    const choices = Array.isArray(row.choices) ? row.choices : [];
    if (num(row.number) < 0) issue("number", "must be ≥ 0");
    else if (!oneOf(MESSAGE_TYPES, row.type)) issue("type", "must be one of SYSTEM, QUESTION, ANSWER");
    else if (row.type !== "QUESTION" && choices.length > 0)
      issue("choices", "choices are only valid for QUESTION messages");
    else if (row.type === "QUESTION" && row.question_type === "")
      issue("question_type", "is required for QUESTION messages");
    else if (row.type !== "QUESTION" && row.question_type !== "")
      issue("question_type", "is only valid for QUESTION messages");
    else if (row.question_type !== "" && !oneOf(QUESTION_TYPES, row.question_type))
      issue("question_type", `must be one of ${QUESTION_TYPES.join(", ")}`);
  },
};

const VIEW_TABLES = new Set<string>(["images", "sequence_frames", "videos", "texts", "pdfs", "point_clouds"]);

/** What {@link checkPixanoRow} found: the row (converted, defaults filled, table order) and its issues. */
export interface PixanoRowCheck {
  readonly row: Row;
  /** Field type issues (pydantic's request-model errors: 422 on REST). */
  readonly typeIssues: ReadonlyArray<{ readonly field: string; readonly message: string }>;
  /** The model validators' issues, checked only when the types are right (Pixano's REST: 400 "Invalid data"). */
  readonly modelIssues: ReadonlyArray<{ readonly field: string; readonly message: string }>;
}

/**
 * Checks one row the way Pixano 0.8's table models do (field types in lax mode, then the model's
 * validator), fills the defaults of missing fields and puts the columns in table order. Used by
 * imports (S-IMPORT), REST creates/updates (R-PIXANO) and the persist worker (D-REPAIR).
 */
export function checkPixanoRow(schema: TableSchema, input: Row, now: () => Date): PixanoRowCheck {
  const table = schema.table.name;
  const typeIssues: Array<{ field: string; message: string }> = [];
  const modelIssues: Array<{ field: string; message: string }> = [];
  const typeIssue: Issue = (field, message) => typeIssues.push({ field, message });
  const byName = new Set(schema.columns.map((c) => c.name));
  for (const key of Object.keys(input)) if (!byName.has(key)) typeIssue(key, "is not a field of this table");
  const row: Row = {};
  for (const c of schema.columns) {
    const v = input[c.name];
    if (v === undefined) {
      if (schema.required.has(c.name)) typeIssue(c.name, "is required");
      else row[c.name] = c.default({ now });
      continue;
    }
    row[c.name] = cell(c, v, typeIssue);
  }
  if (typeIssues.length === 0) {
    const issue: Issue = (field, message) => modelIssues.push({ field, message });
    if (typeof row.id === "string" && row.id === "") issue("id", "must not be empty");
    if ("source_type" in row || "source_metadata" in row) provenance(row, issue);
    MODEL_CHECKS[table]?.(row, issue);
    if (
      VIEW_TABLES.has(table) &&
      typeof row.uri === "string" &&
      row.uri !== "" &&
      row.raw_bytes instanceof Uint8Array &&
      row.raw_bytes.length > 0
    ) {
      issue("uri", "a view has either a uri or raw_bytes, not both");
    }
  }
  return { row, typeIssues, modelIssues };
}

/**
 * Checks one row to import the way Pixano 0.8 does, fills the defaults of missing fields and puts
 * the columns in table order. Throws an {@link ImportError} (`invalid_row`) located at the source.
 */
export function checkImportRow(schema: TableSchema, input: Row, where: SourceLocation, now: () => Date): Row {
  const table = schema.table.name;
  const r = checkPixanoRow(schema, input, now);
  const issues = [...r.typeIssues, ...r.modelIssues].map((i) => `${table}.${i.field}: ${i.message}`);
  if (issues.length > 0) throw new ImportError("invalid_row", issues.join("; "), where);
  return r.row;
}

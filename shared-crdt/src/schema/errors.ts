/**
 * What kind of problem a {@link ValidationIssue} is, named as pydantic 2 names its error types
 * (FastAPI's 422 `type`), so the REST layer answers Pixano's items without reading the English
 * message. `value_error` is a rule of the table (S-BBOX, S-ID, …): its message is the explanation.
 */
export const ISSUE_CODES = [
  "missing",
  "none_forbidden",
  "model_attributes_type",
  "string_type",
  "string_too_long",
  "int_type",
  "int_parsing",
  "int_from_float",
  "int_range",
  "float_type",
  "float_parsing",
  "bool_type",
  "bool_parsing",
  "list_type",
  "datetime_from_date_parsing",
  "value_error",
  // Request shapes (query parameters, declared bodies, JSON text), as FastAPI answers them.
  "model_type",
  "string_too_short",
  "greater_than_equal",
  "less_than_equal",
  "literal_error",
  "union_tag_invalid",
  "json_invalid",
  // Tessera's document references (D-REF), answered as Pixano's 400 "Foreign key violation" /
  // "Cross-entity check failed"; `ctx` holds the `value` and the `targets` / `entity`.
  "reference_missing",
  "reference_cross_entity",
] as const;
export type IssueCode = (typeof ISSUE_CODES)[number];

/** One problem with one value, located by a path such as `bboxes[b1].coords[4]`. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
  /** Absent on issues made by callers that predate codes: read as `value_error`. */
  readonly code?: IssueCode;
  /** The constraint behind the code (`max_length`, `min_length`, `actual_length`, …). */
  readonly ctx?: Readonly<Record<string, number | string>>;
}

/** A row (or a manifest) that breaks the schema; carries every issue found, not just the first. */
export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; "));
  }
}

/** A schema manifest (`info.json`) that cannot be turned into tables. */
export class SchemaError extends Error {
  override name = "SchemaError";
  constructor(
    readonly reason: "unknown_base" | "unsupported_field_type" | "invalid_manifest" | "bad_slot",
    message: string,
  ) {
    super(message);
  }
}

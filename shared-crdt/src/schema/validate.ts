import type { CellValue, ColumnType } from "./columnTypes.js";
import { isTimestampString, type DefaultContext } from "./columns.js";
import { ValidationError, type IssueCode, type ValidationIssue } from "./errors.js";
import type { TableSchema } from "./manifest.js";
import { toInt64 } from "./int64.js";
import { checkId, tableRules, type Row } from "./rules.js";

export interface ValidateOptions {
  /** `create` fills defaults for missing fields; `patch` checks only the fields present. */
  readonly mode: "create" | "patch" | "full";
  /** Prefix of issue paths, e.g. `bboxes[b1]`. */
  readonly path?: string;
  readonly ctx?: DefaultContext;
  /** Unknown fields are an error (default) or are dropped. */
  readonly unknown?: "reject" | "drop";
}

export type ValidateResult = { ok: true; row: Row } | { ok: false; issues: ValidationIssue[] };

const systemClock: DefaultContext = { now: () => new Date() };
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

type ScalarProblem = { readonly code: IssueCode; readonly message: string } | null;

function checkScalar(kind: string, v: unknown): ScalarProblem {
  switch (kind) {
    case "utf8":
    case "binary_text":
      return typeof v === "string" ? null : { code: "string_type", message: "must be a string" };
    case "timestamp_us":
      return typeof v === "string" && isTimestampString(v)
        ? null
        : { code: "datetime_from_date_parsing", message: "must be an ISO timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff])" };
    case "int64":
      if (toInt64(v) !== null) return null;
      return (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint"
        ? { code: "int_range", message: "is out of the int64 range" }
        : { code: "int_type", message: "must be an integer" };
    case "float64":
    case "float32":
      // A JSON integer literal beyond 2^53 arrives as a bigint (S-INT64); a float column takes it as a float.
      return isFiniteNumber(v) || typeof v === "bigint"
        ? null
        : { code: "float_type", message: "must be a finite number" };
    case "bool":
      return typeof v === "boolean" ? null : { code: "bool_type", message: "must be a boolean" };
    case "binary":
    case "large_binary":
      return v instanceof Uint8Array ? null : { code: "value_error", message: "must be bytes" };
    default:
      return { code: "value_error", message: `has an unknown type ${kind}` };
  }
}

function checkCell(type: ColumnType, nullable: boolean, v: unknown, at: string, issues: ValidationIssue[]): void {
  if (v === null) {
    if (!nullable) issues.push({ path: at, code: "none_forbidden", message: "must not be null" });
    return;
  }
  if (type.kind === "list" || type.kind === "fixed_size_list") {
    if (!Array.isArray(v)) {
      issues.push({ path: at, code: "list_type", message: "must be a list" });
      return;
    }
    if (type.kind === "fixed_size_list" && v.length !== type.dim) {
      issues.push({ path: at, code: "value_error", message: `must have exactly ${type.dim} values, got ${v.length}` });
    }
    const of = type.of;
    for (let i = 0; i < v.length; i++) {
      const problem = checkScalar(of, v[i]);
      if (problem) {
        issues.push({ path: `${at}[${i}]`, ...problem });
        if (issues.length > 50) return;
      }
    }
    return;
  }
  const problem = checkScalar(type.kind, v);
  if (problem) issues.push({ path: at, ...problem });
}

function isInt64Type(t: ColumnType): boolean {
  return t.kind === "int64" || (t.kind === "list" && t.of === "int64");
}

function isFloatType(t: ColumnType): boolean {
  const k = t.kind === "list" || t.kind === "fixed_size_list" ? t.of : t.kind;
  return k === "float64" || k === "float32";
}

/** A float cell (or list) with integer literals that arrived as bigints turned into floats. */
function floatCell(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (typeof x === "bigint" ? Number(x) : x));
  return typeof v === "bigint" ? Number(v) : v;
}

/** An int64 cell (or list) in its canonical form: safe integers as numbers, the rest as bigints. */
function canonicalInt64Cell(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => toInt64(x) ?? x);
  return toInt64(v) ?? v;
}

/**
 * Validates a row against a table as a dataset declares it (S-TYPES): every column's type and
 * nullability, ids (S-ID), required custom fields, then the table's rules (S-BBOX, S-MASK, …).
 * Returns a new row with column order and defaults applied (mode `create`) — never mutates the input.
 */
export function validateRow(schema: TableSchema, input: unknown, options: ValidateOptions): ValidateResult {
  const prefix = options.path ?? schema.table.name;
  const issues: ValidationIssue[] = [];
  const at = (f: string) => `${prefix}.${f}`;
  if (input === null || typeof input !== "object" || Array.isArray(input) || input instanceof Uint8Array) {
    return { ok: false, issues: [{ path: prefix, code: "model_attributes_type", message: "must be an object" }] };
  }
  const src = input as Record<string, unknown>;
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  for (const key of Object.keys(src)) {
    if (FORBIDDEN_KEYS.has(key)) issues.push({ path: at(key), code: "value_error", message: "is a reserved name" });
    else if (!byName.has(key) && options.unknown !== "drop")
      issues.push({ path: at(key), code: "value_error", message: "is not a field of this table" });
  }
  const row: Row = {};
  const ctx = options.ctx ?? systemClock;
  for (const c of schema.columns) {
    const present = Object.prototype.hasOwnProperty.call(src, c.name) && src[c.name] !== undefined;
    if (!present) {
      if (options.mode === "patch") continue;
      if (options.mode === "full" || schema.required.has(c.name)) {
        issues.push({ path: at(c.name), code: "missing", message: "is required" });
        continue;
      }
      row[c.name] = c.default(ctx) as CellValue;
      continue;
    }
    const v = src[c.name];
    checkCell(c.type, c.nullable, v, at(c.name), issues);
    row[c.name] = isInt64Type(c.type)
      ? canonicalInt64Cell(v)
      : isFloatType(c.type)
        ? floatCell(v)
        : Array.isArray(v)
          ? [...v]
          : v;
  }
  for (const idField of ["id"]) {
    if (idField in row) {
      const msg = checkId(row[idField]);
      if (msg) issues.push({ path: at(idField), code: "value_error", message: msg });
    }
  }
  // Table rules need whole rows: a patch is merged over the stored row and validated again in full.
  if (issues.length === 0 && options.mode !== "patch") {
    for (const rule of tableRules(schema.table.name))
      rule(row, (f, m) => issues.push({ path: at(f), code: "value_error", message: m }));
  }
  return issues.length === 0 ? { ok: true, row } : { ok: false, issues };
}

/** {@link validateRow} that throws a {@link ValidationError}. */
export function assertRow(schema: TableSchema, input: unknown, options: ValidateOptions): Row {
  const r = validateRow(schema, input, options);
  if (!r.ok) throw new ValidationError(r.issues);
  return r.row;
}

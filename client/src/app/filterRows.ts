import {
  FILTER_OPS,
  MAX_FILTERS,
  parseFilter,
  formatFilter,
  splitListValue,
  type Filter,
  type FilterOp,
} from "@tessera/shared-crdt";
import type { FilterColumn } from "../api/types.js";

/**
 * The filter builder's rows ↔ the REST grammar (`filter=col:op:value`). A row is what the person
 * typed; {@link rowToFilter} checks it against the filter document (column filterable, operator
 * allowed for its type, value well-formed) and says why not in words. Pure.
 */
export interface FilterRow {
  readonly column: string;
  readonly op: FilterOp;
  /** One value; for `in`/`nin` a comma-separated list (`\,` for a literal comma); for `between` see `value2`. */
  readonly value: string;
  readonly value2: string;
}

export type RowResult = { ok: true; filter: Filter } | { ok: false; error: string };

export const OP_LABELS: Readonly<Record<FilterOp, string>> = {
  eq: "=",
  ne: "≠",
  lt: "<",
  lte: "≤",
  gt: ">",
  gte: "≥",
  in: "in",
  nin: "not in",
  contains: "contains",
  between: "between",
};

export function emptyRow(columns: readonly FilterColumn[]): FilterRow {
  const first = columns.find((c) => c.filterable);
  return { column: first?.name ?? "", op: first?.operators[0] ?? "eq", value: "", value2: "" };
}

function checkValue(col: FilterColumn, v: string): string | null {
  switch (col.type) {
    case "int":
      return /^-?\d+$/.test(v.trim()) ? null : `${col.name} needs a whole number`;
    case "float":
      return v.trim() !== "" && Number.isFinite(Number(v)) ? null : `${col.name} needs a number`;
    case "bool":
      return v === "true" || v === "false" ? null : `${col.name} is true or false`;
    case "datetime":
      return Number.isNaN(Date.parse(v)) ? `${col.name} needs a date (YYYY-MM-DD or ISO time)` : null;
    case "str":
      return null;
    default:
      // bytes, FixedSizeList, …: not filterable, so never offered a value.
      return null;
  }
}

export function rowToFilter(row: FilterRow, columns: readonly FilterColumn[]): RowResult {
  const col = columns.find((c) => c.name === row.column);
  if (!col || !col.filterable) return { ok: false, error: `${row.column || "(no column)"} cannot be filtered` };
  if (!col.operators.includes(row.op))
    return { ok: false, error: `${OP_LABELS[row.op]} does not apply to ${col.name}` };
  let values: string[];
  if (row.op === "between") values = [row.value, row.value2];
  else if (row.op === "in" || row.op === "nin")
    values = splitListValue(row.value)
      .map((v) => v.trim())
      .filter((v) => v !== "");
  else values = [row.value];
  if (values.length === 0 || values.some((v) => v === "" && col.type !== "str"))
    return { ok: false, error: `${col.name}: a value is missing` };
  for (const v of values) {
    const problem = checkValue(col, v);
    if (problem) return { ok: false, error: problem };
  }
  const filter: Filter = { column: col.name, op: row.op, values };
  // Round-trip through the shared grammar: what the server parses is what we built.
  try {
    return { ok: true, filter: parseFilter(formatFilter(filter)) };
  } catch (err) {
    if (err instanceof Error) return { ok: false, error: err.message };
    throw err;
  }
}

export function filterToRow(f: Filter): FilterRow {
  if (f.op === "between") return { column: f.column, op: f.op, value: f.values[0] ?? "", value2: f.values[1] ?? "" };
  if (f.op === "in" || f.op === "nin")
    return {
      column: f.column,
      op: f.op,
      value: f.values.map((v) => v.replace(/\\/g, "\\\\").replace(/,/g, "\\,")).join(", "),
      value2: "",
    };
  return { column: f.column, op: f.op, value: f.values[0] ?? "", value2: "" };
}

/** All rows that are valid, at most {@link MAX_FILTERS}; and the first error, if any row is not. */
export function rowsToFilters(
  rows: readonly FilterRow[],
  columns: readonly FilterColumn[],
): { filters: Filter[]; error: string | null } {
  const filters: Filter[] = [];
  let error: string | null = null;
  for (const row of rows) {
    const r = rowToFilter(row, columns);
    if (r.ok) filters.push(r.filter);
    else error ??= r.error;
  }
  if (filters.length > MAX_FILTERS)
    return { filters: filters.slice(0, MAX_FILTERS), error: `at most ${MAX_FILTERS} filters` };
  return { filters, error };
}

/** The operators a column offers, in the grammar's order. */
export function operatorsOf(columns: readonly FilterColumn[], column: string): FilterOp[] {
  const col = columns.find((c) => c.name === column);
  return col ? FILTER_OPS.filter((op) => col.operators.includes(op)) : [];
}

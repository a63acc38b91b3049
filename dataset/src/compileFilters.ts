import {
  MAX_FILTER_VALUE_LENGTH,
  MAX_FILTERS,
  MAX_QUERY_TEXT_LENGTH,
  OPS_BY_TYPE,
  parseInt64Text,
  parseTimestampMicros,
  type ColumnType,
  type Filter,
  type FilterValueType,
  type TableSchema,
} from "@tessera/shared-crdt";
import { QueryError } from "./errors.js";
import { andAll, escapeLike, sqlIdent, sqlInt64, sqlString, sqlTimestamp } from "./sql.js";

/**
 * Compiles the explorer's structured filters (shared-crdt `Filter[]`), the exact-match `where` map
 * and the free text `q` into one Lance SQL predicate. Every column, operator and value is checked
 * against the table's columns, so no caller-supplied text reaches the engine unquoted; anything
 * wrong is a {@link QueryError} (HTTP 400). Semantics follow Pixano 0.8's `api/query.py`.
 */

/** The filter type of a column, or null when it cannot be filtered (lists, bytes, vectors). */
export function filterTypeOf(type: ColumnType): FilterValueType | null {
  switch (type.kind) {
    case "utf8":
      return "str";
    case "int64":
      return "int";
    case "float64":
    case "float32":
      return "float";
    case "bool":
      return "bool";
    case "timestamp_us":
      return "datetime";
    default:
      return null;
  }
}

const DAY_MICROS = 86_400_000_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses an ISO date or datetime (Python `fromisoformat` subset) to naive microseconds. */
function parseFilterDatetime(raw: string, column: string): { micros: number; dateOnly: boolean } {
  const text = raw.trim();
  if (DATE_ONLY.test(text)) {
    const micros = parseTimestampMicros(`${text}T00:00:00`);
    if (Number.isFinite(micros)) return { micros, dateOnly: true };
  }
  const m = DATETIME.exec(text);
  if (m) {
    const seconds = m[3] ?? ":00";
    let micros = parseTimestampMicros(`${m[1]}T${m[2]}${seconds}`);
    const tz = m[5];
    if (tz && tz !== "Z") {
      const sign = tz.startsWith("-") ? -1 : 1;
      const digits = tz.slice(1).replace(":", "");
      const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
      micros -= sign * offsetMinutes * 60_000_000; // stored timestamps are naive UTC
    }
    if (Number.isFinite(micros)) return { micros, dateOnly: false };
  }
  throw new QueryError("bad_value", `'${raw}' is not a valid ISO date/datetime for column '${column}'.`);
}

function checkLength(value: string, column: string): void {
  if (value.length > MAX_FILTER_VALUE_LENGTH) {
    throw new QueryError("bad_value", `Value for '${column}' exceeds ${MAX_FILTER_VALUE_LENGTH} characters.`);
  }
}

/** A typed SQL literal for a scalar filter value given as text. */
function filterLiteral(type: FilterValueType, raw: string, column: string): string {
  checkLength(raw, column);
  switch (type) {
    case "str":
      return sqlString(raw);
    case "int": {
      // Exact over the whole int64 range (S-INT64): the literal is the integer's own digits.
      const n = parseInt64Text(raw);
      if (n === null) throw new QueryError("bad_value", `'${raw}' is not a valid integer for column '${column}'.`);
      return sqlInt64(n);
    }
    case "float": {
      const t = raw.trim();
      const n = Number(t);
      if (t === "" || !Number.isFinite(n))
        throw new QueryError("bad_value", `'${raw}' is not a valid number for column '${column}'.`);
      return Number.isInteger(n) ? `${n}.0` : String(n);
    }
    case "bool": {
      const t = raw.trim().toLowerCase();
      if (t === "true" || t === "1") return "true";
      if (t === "false" || t === "0") return "false";
      throw new QueryError("bad_value", `'${raw}' is not a valid boolean for column '${column}'.`);
    }
    case "datetime":
      return sqlTimestamp(parseFilterDatetime(raw, column).micros);
  }
}

function compileDatetime(column: string, op: Filter["op"], values: readonly string[]): string {
  const c = sqlIdent(column);
  if (op === "between") {
    if (values.length !== 2) throw new QueryError("bad_value", `'between' on '${column}' needs exactly two values.`);
    values.forEach((v) => checkLength(v, column));
    const lo = parseFilterDatetime(values[0]!, column);
    const hi = parseFilterDatetime(values[1]!, column);
    if (hi.dateOnly) return `(${c} >= ${sqlTimestamp(lo.micros)} AND ${c} < ${sqlTimestamp(hi.micros + DAY_MICROS)})`;
    return `(${c} >= ${sqlTimestamp(lo.micros)} AND ${c} <= ${sqlTimestamp(hi.micros)})`;
  }
  const raw = values[0] ?? "";
  checkLength(raw, column);
  const { micros, dateOnly } = parseFilterDatetime(raw, column);
  if (op === "eq") {
    // A date alone means "any time that day".
    if (dateOnly) return `(${c} >= ${sqlTimestamp(micros)} AND ${c} < ${sqlTimestamp(micros + DAY_MICROS)})`;
    return `${c} = ${sqlTimestamp(micros)}`;
  }
  return `${c} ${SQL_OPS[op]} ${sqlTimestamp(micros)}`;
}

const SQL_OPS: Partial<Record<Filter["op"], string>> = { eq: "=", ne: "!=", lt: "<", lte: "<=", gt: ">", gte: ">=" };

function columnOf(schema: TableSchema, column: string): { name: string; type: ColumnType } {
  const c = schema.columns.find((x) => x.name === column);
  if (!c) throw new QueryError("unknown_column", `Unknown column '${column}' in table '${schema.table.name}'.`);
  return c;
}

/** One filter to SQL; throws {@link QueryError} on an unknown column, operator or bad value. */
export function compileFilter(schema: TableSchema, filter: Filter): string {
  if (filter.column.includes(".")) {
    throw new QueryError("unknown_column", `Cross-table filters ('${filter.column}') are not supported.`);
  }
  const column = columnOf(schema, filter.column);
  const type = filterTypeOf(column.type);
  if (type === null) throw new QueryError("not_filterable", `Column '${filter.column}' is not filterable.`);
  const allowed = OPS_BY_TYPE[type];
  if (!allowed.includes(filter.op)) {
    throw new QueryError(
      "bad_operator",
      `Operator '${filter.op}' is not valid for '${filter.column}' (allowed: ${allowed.join(", ")}).`,
    );
  }
  if (type === "datetime") return compileDatetime(filter.column, filter.op, filter.values);
  const c = sqlIdent(filter.column);
  if (filter.op === "in" || filter.op === "nin") {
    const values = filter.values.filter((v) => v !== "");
    if (values.length === 0)
      throw new QueryError("bad_value", `'${filter.op}' on '${filter.column}' needs at least one value.`);
    const list = values.map((v) => filterLiteral(type, v, filter.column)).join(", ");
    return `${c} ${filter.op === "in" ? "IN" : "NOT IN"} (${list})`;
  }
  const raw = filter.values[0] ?? "";
  if (filter.op === "contains") {
    checkLength(raw, filter.column);
    return `${c} LIKE ${sqlString(`%${escapeLike(raw)}%`)}`;
  }
  return `${c} ${SQL_OPS[filter.op]} ${filterLiteral(type, raw, filter.column)}`;
}

/** Exact-match shortcuts (`record_id`, `entity_id`, `frame_index`…): typed per column. */
export function compileWhereMap(
  schema: TableSchema,
  where: Readonly<Record<string, string | number | boolean>>,
): string | null {
  const clauses: string[] = [];
  for (const [name, value] of Object.entries(where)) {
    const column = columnOf(schema, name);
    const type = filterTypeOf(column.type);
    if (type === null) throw new QueryError("not_filterable", `Column '${name}' is not filterable.`);
    if (type === "str" && typeof value !== "string") {
      throw new QueryError("bad_value", `Column '${name}' expects a string, got ${typeof value}.`);
    }
    if ((type === "int" || type === "float") && typeof value === "boolean") {
      throw new QueryError("bad_value", `Column '${name}' expects a number, got a boolean.`);
    }
    if (type === "bool" && typeof value === "number")
      throw new QueryError("bad_value", `Column '${name}' expects a boolean.`);
    if (type === "datetime") {
      clauses.push(`${sqlIdent(name)} = ${sqlTimestamp(parseFilterDatetime(String(value), name).micros)}`);
      continue;
    }
    clauses.push(`${sqlIdent(name)} = ${filterLiteral(type, String(value), name)}`);
  }
  return andAll(...clauses);
}

/** The columns free text searches: `id`, `comment` and custom string columns. */
export function searchableColumns(schema: TableSchema): string[] {
  return schema.columns
    .filter((c) => c.type.kind === "utf8" && (c.name === "id" || c.name === "comment" || c.source === "custom"))
    .map((c) => c.name);
}

/** Case-insensitive substring over the searchable columns; LIKE wildcards in `q` match literally. */
export function compileSearch(schema: TableSchema, q: string): string | null {
  if (q === "") return null;
  if (q.length > MAX_QUERY_TEXT_LENGTH)
    throw new QueryError("bad_value", `Search text exceeds ${MAX_QUERY_TEXT_LENGTH} characters.`);
  const columns = searchableColumns(schema);
  if (columns.length === 0) return "false";
  const pattern = sqlString(`%${escapeLike(q.toLowerCase())}%`);
  return columns.map((c) => `lower(${sqlIdent(c)}) LIKE ${pattern}`).join(" OR ");
}

/** The whole predicate of a query (null = every row). */
export function compileFilters(
  schema: TableSchema,
  options: {
    readonly filters?: readonly Filter[];
    readonly where?: Readonly<Record<string, string | number | boolean>>;
    readonly q?: string;
  },
): string | null {
  const filters = options.filters ?? [];
  if (filters.length > MAX_FILTERS)
    throw new QueryError("too_many_filters", `At most ${MAX_FILTERS} filters are allowed (got ${filters.length}).`);
  return andAll(
    ...filters.map((f) => compileFilter(schema, f)),
    options.where ? compileWhereMap(schema, options.where) : null,
    options.q !== undefined ? compileSearch(schema, options.q) : null,
  );
}

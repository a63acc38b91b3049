/**
 * The explorer's structured filter grammar (Pixano 0.8.x, spec §4.8): repeated
 * `filter=col:op:value`, list values comma-separated with `\,` escaping, at most 8 filters, values
 * ≤ 512 characters. Pure, so the server parses it, the client builds it, and `@tessera/dataset`
 * compiles it to a safe Lance predicate. Raw SQL never crosses a trust boundary.
 */
export const FILTER_OPS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "nin", "contains", "between"] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export type FilterValueType = "str" | "int" | "float" | "bool" | "datetime";

/** Operators allowed per column type. */
export const OPS_BY_TYPE: Readonly<Record<FilterValueType, readonly FilterOp[]>> = {
  str: ["eq", "ne", "in", "nin", "contains"],
  int: ["eq", "ne", "lt", "lte", "gt", "gte", "in", "nin"],
  float: ["eq", "ne", "lt", "lte", "gt", "gte"],
  bool: ["eq", "ne"],
  datetime: ["eq", "lt", "lte", "gt", "gte", "between"],
};

export const MAX_FILTERS = 8;
export const MAX_FILTER_VALUE_LENGTH = 512;
export const MAX_QUERY_TEXT_LENGTH = 256;

export interface Filter {
  readonly column: string;
  readonly op: FilterOp;
  /** One value, or several for `in`/`nin`/`between`; still strings, typed by the compiler. */
  readonly values: readonly string[];
}

export class FilterSyntaxError extends Error {
  override name = "FilterSyntaxError";
}

const MULTI: ReadonlySet<FilterOp> = new Set(["in", "nin", "between"]);

/** Splits on unescaped commas; `\,` is a literal comma and `\\` a literal backslash. */
export function splitListValue(raw: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === "\\" && i + 1 < raw.length) {
      cur += raw[i + 1];
      i++;
    } else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

/** Escapes a value for a list: inverse of {@link splitListValue}. */
export function escapeListValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/,/g, "\\,");
}

/** Parses one `col:op:value` expression. The value may itself contain colons. */
export function parseFilter(expr: string): Filter {
  const first = expr.indexOf(":");
  const second = first < 0 ? -1 : expr.indexOf(":", first + 1);
  if (first <= 0 || second < 0) throw new FilterSyntaxError(`filter ${JSON.stringify(expr)}: expected column:op:value`);
  const column = expr.slice(0, first);
  const op = expr.slice(first + 1, second);
  const raw = expr.slice(second + 1);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(column))
    throw new FilterSyntaxError(`filter ${JSON.stringify(expr)}: invalid column name`);
  if (!(FILTER_OPS as readonly string[]).includes(op)) {
    throw new FilterSyntaxError(
      `filter ${JSON.stringify(expr)}: unknown operator ${JSON.stringify(op)} (one of ${FILTER_OPS.join(", ")})`,
    );
  }
  if (raw.length > MAX_FILTER_VALUE_LENGTH)
    throw new FilterSyntaxError(`filter on ${column}: value longer than ${MAX_FILTER_VALUE_LENGTH} characters`);
  const values = MULTI.has(op as FilterOp) ? splitListValue(raw) : [raw];
  if (op === "between" && values.length !== 2)
    throw new FilterSyntaxError(`filter on ${column}: between takes two values`);
  return { column, op: op as FilterOp, values };
}

export function parseFilters(exprs: readonly string[]): Filter[] {
  if (exprs.length > MAX_FILTERS) throw new FilterSyntaxError(`at most ${MAX_FILTERS} filters`);
  return exprs.map(parseFilter);
}

export function formatFilter(f: Filter): string {
  return `${f.column}:${f.op}:${MULTI.has(f.op) ? f.values.map(escapeListValue).join(",") : (f.values[0] ?? "")}`;
}

export interface SortSpec {
  readonly column: string;
  readonly order: "asc" | "desc";
}

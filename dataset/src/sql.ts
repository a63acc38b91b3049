/**
 * Lance SQL literals and identifiers. Lance's planner reads backticks as identifiers (double quotes
 * would be a string), doubles single quotes inside strings and keeps backslashes literal; LIKE
 * patterns escape with a backslash (the only escape character it accepts).
 */
import { INT64_MIN, isTimestampString, parseInt64Text, toInt64, type ColumnType } from "@tessera/shared-crdt";
import { timestampFromMicros } from "./arrowRows.js";

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A column name as a Lance SQL identifier; names outside `[A-Za-z_][A-Za-z0-9_]*` are refused. */
export function sqlIdent(name: string): string {
  if (!IDENT.test(name)) throw new RangeError(`column name ${JSON.stringify(name)} cannot be used in a query`);
  return `\`${name}\``;
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Escapes LIKE wildcards so the text matches literally (backslash escape). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** `TIMESTAMP '…'` literal for microseconds since the epoch (naive, as stored). */
export function sqlTimestamp(micros: number): string {
  return `TIMESTAMP ${sqlString(timestampFromMicros(micros).replace("T", " "))}`;
}

/** An `IN (...)` list of strings. */
function sqlStringList(values: Iterable<string>): string {
  return `(${Array.from(values, sqlString).join(", ")})`;
}

/** `col IN (...)`, split in chunks OR-ed together so huge id sets stay within planner limits. */
export function sqlIn(column: string, values: readonly string[], chunk = 1000): string {
  if (values.length === 0) return "false";
  const parts: string[] = [];
  for (let i = 0; i < values.length; i += chunk)
    parts.push(`${sqlIdent(column)} IN ${sqlStringList(values.slice(i, i + chunk))}`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(" OR ")})`;
}

/** Joins predicates with AND, skipping empty ones; null when nothing is left. */
export function andAll(...clauses: ReadonlyArray<string | null | undefined>): string | null {
  const kept = clauses.filter((c): c is string => typeof c === "string" && c !== "");
  if (kept.length === 0) return null;
  return kept.length === 1 ? kept[0]! : kept.map((c) => `(${c})`).join(" AND ");
}

/**
 * An int64 as a SQL literal, exact over the whole range (S-INT64). The engine reads
 * `-9223372036854775808` as the negation of an out-of-range literal (a float), so the minimum is
 * written as an int64 expression.
 */
export function sqlInt64(n: number | bigint): string {
  return typeof n === "bigint" && n === INT64_MIN ? `(${INT64_MIN + 1n} - 1)` : String(n);
}

/** A scalar cell as a SQL literal of its column type (used for keyset pagination). */
export function sqlLiteralOf(type: ColumnType, value: unknown): string {
  switch (type.kind) {
    case "utf8":
      return sqlString(String(value));
    case "int64": {
      const n = typeof value === "string" ? parseInt64Text(value) : toInt64(value);
      if (n === null) throw new RangeError(`not an int64: ${String(value)}`);
      return sqlInt64(n);
    }
    case "float64":
    case "float32": {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${String(value)}`);
      return Number.isInteger(n) ? `${n}.0` : String(n);
    }
    case "bool":
      return value === true || value === "true" ? "true" : "false";
    case "timestamp_us":
      if (typeof value !== "string" || !isTimestampString(value))
        throw new RangeError(`not a timestamp: ${String(value)}`);
      return `TIMESTAMP ${sqlString(value.replace("T", " "))}`;
    default:
      throw new RangeError(`a ${type.kind} column has no SQL literal`);
  }
}

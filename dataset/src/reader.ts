import type { Table as ArrowTable, Vector } from "apache-arrow";
import type { ColumnType, Row, SortSpec } from "@tessera/shared-crdt";
import { arrowTableToRows } from "./arrow.js";
import { filterTypeOf } from "./compileFilters.js";
import { QueryError } from "./errors.js";
import { andAll, sqlIdent, sqlIn, sqlLiteralOf, sqlString } from "./sql.js";
import type { OpenTable } from "./tableStore.js";
import { compareStrings, compareValues, selectTopK } from "./topK.js";

/**
 * Reads of one table: plain pages in storage order, sorted pages (in memory for small results, by
 * a narrow `(sort column, id)` projection + top-k selection + fetch by id for large ones), keyset
 * pagination and record neighbours. Order is always (sort column, then `id` ascending), like
 * Pixano 0.8's `get_data` tie-break, so pages are stable.
 */

/** Columns never read unless asked for: embedded media bytes and thumbnails. */
export const MEDIA_COLUMNS: ReadonlySet<string> = new Set(["raw_bytes", "preview"]);

/** Below this many matching rows a sorted page is computed by reading the rows themselves. */
export const SMALL_RESULT = 2000;

export interface ReadPlan {
  readonly predicate: string | null;
  /** On-disk columns to read (always includes `id`). */
  readonly columns: readonly string[];
  /** Declared-but-absent columns to fill with defaults. */
  readonly fill: readonly string[];
}

/** Which columns to read: the requested ones (checked), else everything but media bytes. */
export function resolveColumns(t: OpenTable, requested?: readonly string[]): { columns: string[]; fill: string[] } {
  const disk = t.layout.schema.columns.map((c) => c.name);
  const missing = t.layout.missing.map((c) => c.name);
  if (!requested) return { columns: disk.filter((n) => !MEDIA_COLUMNS.has(n)), fill: missing.filter((n) => !MEDIA_COLUMNS.has(n)) };
  const columns: string[] = [];
  const fill: string[] = [];
  for (const name of requested) {
    if (disk.includes(name)) {
      if (!columns.includes(name)) columns.push(name);
    } else if (missing.includes(name)) fill.push(name);
    else throw new QueryError("bad_columns", `Unknown column '${name}' in table '${t.name}'.`);
  }
  if (!columns.includes("id")) columns.unshift("id");
  return { columns, fill };
}

export interface ResolvedSort {
  readonly column: string;
  readonly type: ColumnType;
  readonly order: "asc" | "desc";
}

/** Checks a sort request: a scalar column of the table, `asc` or `desc`. */
export function resolveSort(t: OpenTable, sort: SortSpec | undefined): ResolvedSort | null {
  if (!sort) return null;
  const column = t.layout.schema.columns.find((c) => c.name === sort.column);
  if (!column) throw new QueryError("bad_sort", `Unknown sort column '${sort.column}'.`);
  if (filterTypeOf(column.type) === null) throw new QueryError("bad_sort", `Column '${sort.column}' is not sortable.`);
  if (sort.order !== "asc" && sort.order !== "desc") throw new QueryError("bad_sort", `Sort order must be 'asc' or 'desc' (got '${String(sort.order)}').`);
  return { column: sort.column, type: column.type, order: sort.order };
}

export const ID_SORT: ResolvedSort = { column: "id", type: { kind: "utf8" }, order: "asc" };

/** Runs a plain scan (storage order). */
export async function scan(t: OpenTable, predicate: string | null, columns: readonly string[], offset = 0, limit?: number): Promise<ArrowTable> {
  let q = t.table.query();
  if (predicate) q = q.where(predicate);
  q = q.select([...columns]);
  if (offset > 0) q = q.offset(offset);
  if (limit !== undefined) q = q.limit(limit);
  return (await q.toArrow()) as unknown as ArrowTable;
}

export async function readRows(t: OpenTable, plan: ReadPlan, offset = 0, limit?: number): Promise<Row[]> {
  if (limit === 0) return [];
  const table = await scan(t, plan.predicate, plan.columns, offset, limit);
  return arrowTableToRows(t.layout.schema, table, fillColumns(t, plan.fill));
}

function fillColumns(t: OpenTable, names: readonly string[]) {
  return t.layout.missing.filter((c) => names.includes(c.name));
}

/** Rows by id, in the order of `ids` (unknown ids are skipped). */
export async function readByIds(t: OpenTable, ids: readonly string[], plan: Omit<ReadPlan, "predicate">): Promise<Row[]> {
  if (ids.length === 0) return [];
  const rows = await readRows(t, { ...plan, predicate: sqlIn("id", ids) });
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  const out: Row[] = [];
  for (const id of ids) {
    const r = byId.get(id);
    if (r) out.push(r);
  }
  return out;
}

/** `(sort column, id)` ordering of two rows. */
export function compareRows(sort: ResolvedSort, a: Row, b: Row): number {
  const av = a[sort.column];
  const bv = b[sort.column];
  if (av === null || av === undefined || bv === null || bv === undefined) {
    const c = compareValues(av, bv);
    if (c !== 0) return c;
  } else {
    const c = compareValues(av, bv);
    if (c !== 0) return sort.order === "desc" ? -c : c;
  }
  return sort.column === "id" ? 0 : compareStrings(a.id as string, b.id as string);
}

/** The SQL predicate "strictly after (value, id)" in a sort order (`before` reverses it). */
export function keysetClause(sort: ResolvedSort, id: string, value: unknown, direction: "after" | "before" = "after"): string {
  const idCmp = direction === "after" ? ">" : "<";
  const ascending = (sort.order === "asc") === (direction === "after");
  if (sort.column === "id") return `${sqlIdent("id")} ${ascending ? ">" : "<"} ${sqlString(id)}`;
  const c = sqlIdent(sort.column);
  const v = sqlLiteralOf(sort.type, value);
  return `(${c} ${ascending ? ">" : "<"} ${v} OR (${c} = ${v} AND ${sqlIdent("id")} ${idCmp} ${sqlString(id)}))`;
}

type Key = number | string | boolean | null;

function sortKeys(vector: Vector, type: ColumnType): ArrayLike<Key> {
  const n = vector.length;
  if ((type.kind === "int64" || type.kind === "timestamp_us") && vector.nullCount === 0) {
    const out = new Float64Array(n);
    let i = 0;
    for (const chunk of vector.data) {
      const values = chunk.values as BigInt64Array;
      for (let k = 0; k < chunk.length; k++) out[i++] = Number(values[chunk.offset + k]!);
    }
    return out;
  }
  if ((type.kind === "float64" || type.kind === "float32") && vector.nullCount === 0) {
    const out = new Float64Array(n);
    let i = 0;
    for (const chunk of vector.data) {
      const values = chunk.values as Float64Array | Float32Array;
      for (let k = 0; k < chunk.length; k++) out[i++] = values[chunk.offset + k]!;
    }
    return out;
  }
  const out: Key[] = new Array(n);
  let i = 0;
  for (const v of vector) out[i++] = typeof v === "bigint" ? Number(v) : (v as Key);
  return out;
}

/**
 * Ids of rows `offset .. offset+limit` of the filtered set in (sort, id) order, reading only the
 * sort column and `id`. `reverse` walks the order backwards (for "previous" neighbours).
 */
export async function orderedIds(
  t: OpenTable,
  predicate: string | null,
  sort: ResolvedSort,
  offset: number,
  limit: number | undefined,
  reverse = false,
): Promise<string[]> {
  const projection = sort.column === "id" ? ["id"] : [sort.column, "id"];
  const table = await scan(t, predicate, projection);
  const n = table.numRows;
  if (n === 0) return [];
  const idVec = table.getChild("id")!;
  const ids: (string | undefined)[] = new Array(n);
  const idOf = (i: number) => (ids[i] ??= idVec.get(i) as string);
  const keys = sort.column === "id" ? null : sortKeys(table.getChild(sort.column)!, sort.type);
  const dir = (sort.order === "desc" ? -1 : 1) * (reverse ? -1 : 1);
  const compare = (i: number, j: number): number => {
    if (keys) {
      const a = keys[i]!;
      const b = keys[j]!;
      if (a !== b) {
        if (a === null || b === null) return a === null ? 1 : -1;
        return dir * compareValues(a, b);
      }
    }
    const c = compareStrings(idOf(i), idOf(j));
    return keys ? (reverse ? -c : c) : dir * c;
  };
  const k = limit === undefined ? n : offset + limit;
  return selectTopK(n, k, compare).slice(offset).map(idOf);
}

/** A sorted page: in memory when the filtered set is small, by projection + top-k otherwise. */
export async function sortedRows(
  t: OpenTable,
  plan: ReadPlan,
  sort: ResolvedSort,
  total: number,
  offset: number,
  limit: number | undefined,
  inMemoryBelow = SMALL_RESULT,
): Promise<Row[]> {
  if (limit === 0) return [];
  if (total <= inMemoryBelow) {
    const extra = [sort.column].filter((c) => !plan.columns.includes(c));
    const rows = await readRows(t, { ...plan, columns: [...plan.columns, ...extra] });
    rows.sort((a, b) => compareRows(sort, a, b));
    const page = rows.slice(offset, limit === undefined ? undefined : offset + limit);
    for (const r of page) for (const c of extra) delete r[c];
    return page;
  }
  const ids = await orderedIds(t, plan.predicate, sort, offset, limit);
  return readByIds(t, ids, plan);
}

/** The sort value of one row (for keyset pagination and neighbours); undefined if the row is absent. */
export async function sortValueOf(t: OpenTable, sort: ResolvedSort, id: string, predicate: string | null = null): Promise<{ value: unknown } | undefined> {
  const columns = sort.column === "id" ? ["id"] : ["id", sort.column];
  const rows = await readRows(t, { predicate: andAll(predicate, `${sqlIdent("id")} = ${sqlString(id)}`), columns, fill: [] }, 0, 1);
  const row = rows[0];
  return row ? { value: row[sort.column] } : undefined;
}

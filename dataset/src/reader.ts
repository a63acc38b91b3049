import type { Table as ArrowTable } from "apache-arrow";
import type { ColumnType, Row, SortSpec } from "@tessera/shared-crdt";
import { arrowTableToRows } from "./arrowRows.js";
import { filterTypeOf } from "./compileFilters.js";
import { QueryError } from "./errors.js";
import { andAll, sqlIdent, sqlIn, sqlLiteralOf, sqlString } from "./sql.js";
import type { OpenTable } from "./tableStore.js";
import { compareStrings, compareValues } from "./ordering.js";

/**
 * Reads of one table: plain pages in storage order, sorted pages (in memory for small results,
 * LanceDB's native `orderBy` top-k for large ones), keyset pagination and record neighbours. Order
 * is always (sort column, then `id` ascending), like Pixano 0.8's `get_data` tie-break, so pages
 * are stable; strings compare in UTF-8 byte order on both paths.
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
  if (!requested)
    return { columns: disk.filter((n) => !MEDIA_COLUMNS.has(n)), fill: missing.filter((n) => !MEDIA_COLUMNS.has(n)) };
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
  if (sort.order !== "asc" && sort.order !== "desc")
    throw new QueryError("bad_sort", `Sort order must be 'asc' or 'desc' (got '${String(sort.order)}').`);
  return { column: sort.column, type: column.type, order: sort.order };
}

export const ID_SORT: ResolvedSort = { column: "id", type: { kind: "utf8" }, order: "asc" };

/** Runs a plain scan (storage order). */
export async function scan(
  t: OpenTable,
  predicate: string | null,
  columns: readonly string[],
  offset = 0,
  limit?: number,
): Promise<ArrowTable> {
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
export async function readByIds(
  t: OpenTable,
  ids: readonly string[],
  plan: Omit<ReadPlan, "predicate">,
): Promise<Row[]> {
  if (ids.length === 0) return [];
  const rows = await readRows(t, { ...plan, predicate: sqlIn("id", ids) });
  const byId = new Map(rows.flatMap((r) => (typeof r.id === "string" ? [[r.id, r] as const] : [])));
  const out: Row[] = [];
  for (const id of ids) {
    const r = byId.get(id);
    if (r) out.push(r);
  }
  return out;
}

/** `(sort column, id)` ordering of two rows. */
function compareRows(sort: ResolvedSort, a: Row, b: Row): number {
  const av = a[sort.column];
  const bv = b[sort.column];
  if (av === null || av === undefined || bv === null || bv === undefined) {
    const c = compareValues(av, bv);
    if (c !== 0) return c;
  } else {
    const c = compareValues(av, bv);
    if (c !== 0) return sort.order === "desc" ? -c : c;
  }
  return sort.column === "id" ? 0 : compareStrings(String(a.id), String(b.id));
}

/** The SQL predicate "strictly after (value, id)" in a sort order (`before` reverses it). */
export function keysetClause(
  sort: ResolvedSort,
  id: string,
  value: unknown,
  direction: "after" | "before" = "after",
): string {
  const idCmp = direction === "after" ? ">" : "<";
  const ascending = (sort.order === "asc") === (direction === "after");
  if (sort.column === "id") return `${sqlIdent("id")} ${ascending ? ">" : "<"} ${sqlString(id)}`;
  const c = sqlIdent(sort.column);
  const v = sqlLiteralOf(sort.type, value);
  return `(${c} ${ascending ? ">" : "<"} ${v} OR (${c} = ${v} AND ${sqlIdent("id")} ${idCmp} ${sqlString(id)}))`;
}

/** LanceDB's `orderBy` for (sort column, then `id` ascending); `reverse` walks it backwards. */
function ordering(
  sort: ResolvedSort,
  reverse = false,
): Array<{ columnName: string; ascending: boolean; nullsFirst: boolean }> {
  const asc = (sort.order === "asc") !== reverse;
  const out = [{ columnName: sort.column, ascending: asc, nullsFirst: reverse }];
  if (sort.column !== "id") out.push({ columnName: "id", ascending: !reverse, nullsFirst: false });
  return out;
}

/** A sorted scan: LanceDB sorts natively (a top-k when a limit is set), filters pushed down. */
async function sortedScan(
  t: OpenTable,
  predicate: string | null,
  columns: readonly string[],
  sort: ResolvedSort,
  offset = 0,
  limit?: number,
  reverse = false,
): Promise<ArrowTable> {
  let q = t.table.query();
  if (predicate) q = q.where(predicate);
  // `withRowId`: Lance 8 fails to plan an index-served filter + orderBy without the row id
  // ("TakeExec requires … '_rowid'"); the extra column is ignored when rows are decoded.
  q = q
    .select([...columns])
    .withRowId()
    .orderBy(ordering(sort, reverse));
  if (offset > 0) q = q.offset(offset);
  if (limit !== undefined) q = q.limit(limit);
  return (await q.toArrow()) as unknown as ArrowTable;
}

/** Ids of rows `offset .. offset+limit` of the filtered set in (sort, id) order (`reverse`: backwards). */
export async function orderedIds(
  t: OpenTable,
  predicate: string | null,
  sort: ResolvedSort,
  offset: number,
  limit: number | undefined,
  reverse = false,
): Promise<string[]> {
  if (limit === 0) return [];
  const table = await sortedScan(t, predicate, ["id"], sort, offset, limit, reverse);
  const col = table.getChild("id");
  return col ? Array.from({ length: table.numRows }, (_, i) => col.get(i) as string) : [];
}

/**
 * A sorted page. Small results (≤ `inMemoryBelow` rows) are read whole and sorted here; larger
 * ones are sorted by LanceDB (a top-k of `offset + limit` ids), then the page is read by id.
 */
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
  if (limit === undefined) {
    const table = await sortedScan(t, plan.predicate, plan.columns, sort, offset, limit);
    return arrowTableToRows(t.layout.schema, table, fillColumns(t, plan.fill));
  }
  // Two phases: sorting a one-column projection then fetching the page by id (BTREE) is several
  // times faster than sorting every selected column of the filtered set.
  return readByIds(t, await orderedIds(t, plan.predicate, sort, offset, limit), plan);
}

/** The sort value of one row (for keyset pagination and neighbours); undefined if the row is absent. */
export async function sortValueOf(
  t: OpenTable,
  sort: ResolvedSort,
  id: string,
  predicate: string | null = null,
): Promise<{ value: unknown } | undefined> {
  const columns = sort.column === "id" ? ["id"] : ["id", sort.column];
  const rows = await readRows(
    t,
    { predicate: andAll(predicate, `${sqlIdent("id")} = ${sqlString(id)}`), columns, fill: [] },
    0,
    1,
  );
  const row = rows[0];
  return row ? { value: row[sort.column] } : undefined;
}

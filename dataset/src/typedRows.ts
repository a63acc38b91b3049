import {
  TABLES,
  typeToString,
  type ColumnType,
  type Row,
  type TableName,
  type TableRow,
  type TableSchema,
} from "@tessera/shared-crdt";
import { DatasetError } from "./errors.js";
import type { DatasetHandle, Page, QueryOptions } from "./types.js";

/**
 * Rows read from LanceDB become their table's row type here, once: a table on disk may come from
 * anywhere (the disk decides column types, `arrow.ts`), so every base column of every row is checked
 * to hold the value of its canonical type (`TABLES`, what `TableRow<T>` derives from; a manifest or the disk
 * may say otherwise) before a reader sees a `TableRow<T>`. Custom columns ride along
 * unchecked (read them with `customCell`).
 */

function scalarFits(kind: string, v: unknown): boolean {
  switch (kind) {
    case "utf8":
    case "binary_text":
    case "timestamp_us":
      return typeof v === "string";
    case "int64":
      return typeof v === "number" || typeof v === "bigint";
    case "float64":
    case "float32":
      return typeof v === "number";
    case "bool":
      return typeof v === "boolean";
    case "binary":
    case "large_binary":
      return v instanceof Uint8Array;
    default:
      return false;
  }
}

/** Whether a cell holds the JS value its column type promises (`ValueOf<T>`, or null when nullable). */
function cellFits(type: ColumnType, nullable: boolean, v: unknown): boolean {
  if (v === null) return nullable;
  if (type.kind === "list" || type.kind === "fixed_size_list") {
    const of = type.of;
    return Array.isArray(v) && v.every((x) => scalarFits(of, x));
  }
  return scalarFits(type.kind, v);
}

/** The first of the table's columns that `row` lacks or holds with another type, if any. */
function misfitColumn(table: TableName, row: Readonly<Row>): { name: string; type: ColumnType } | null {
  for (const c of TABLES[table].columns) {
    if (table === "embeddings" && c.name === "vector") {
      // Its dimension is per dataset (`Vector(dim)`): any list of numbers, or null.
      const v = row.vector;
      if (v === null || (Array.isArray(v) && v.every((x) => typeof x === "number"))) continue;
      return { name: c.name, type: c.type };
    }
    if (!Object.prototype.hasOwnProperty.call(row, c.name) || !cellFits(c.type, c.nullable, row[c.name])) {
      return { name: c.name, type: c.type };
    }
  }
  return null;
}

/** Whether a row read from `table` has the shape of {@link TableRow}. */
export function isTableRow<T extends TableName>(table: T, row: Readonly<Row>): row is TableRow<T> {
  return misfitColumn(table, row) === null;
}

/**
 * Rows of `table` as its row type, or a {@link DatasetError} (`invalid_dataset`) naming the first cell
 * that does not fit: typed readers stop there rather than work on a value of another type.
 */
function tableRowsOf<T extends TableName>(table: T, rows: readonly Row[]): TableRow<T>[] {
  const out: TableRow<T>[] = [];
  for (const row of rows) {
    if (isTableRow(table, row)) {
      out.push(row);
      continue;
    }
    const bad = misfitColumn(table, row);
    const where = `${table}[${String(row.id)}].${bad?.name ?? "?"}`;
    throw new DatasetError(
      "invalid_dataset",
      `${where}: the stored value is not a ${bad ? typeToString(bad.type) : "row of this table"}`,
    );
  }
  return out;
}

type Reads = Pick<DatasetHandle, "schema" | "query" | "getMany">;

function declaredOf(ds: Reads, table: TableName): TableSchema | null {
  return ds.schema.tables.get(table) ?? null;
}

/** A page of `table` as its row type (every declared column read, media bytes included). */
export async function queryRows<T extends TableName>(
  ds: Reads,
  table: T,
  options: Omit<QueryOptions, "columns"> = {},
): Promise<Page<TableRow<T>>> {
  const declared = declaredOf(ds, table);
  if (!declared) return { items: [], total: 0 };
  const page = await ds.query(table, { ...options, columns: declared.columns.map((c) => c.name) });
  return { ...page, items: tableRowsOf(table, page.items) };
}

/** Rows of `table` by id, in the order of `ids` (unknown ids skipped), as its row type. */
export async function getRows<T extends TableName>(
  ds: Reads,
  table: T,
  ids: readonly string[],
): Promise<TableRow<T>[]> {
  const declared = declaredOf(ds, table);
  if (!declared || ids.length === 0) return [];
  const rows = await ds.getMany(
    table,
    ids,
    declared.columns.map((c) => c.name),
  );
  return tableRowsOf(table, rows);
}

/** One row of `table` as its row type, or null. */
export async function getRow<T extends TableName>(ds: Reads, table: T, id: string): Promise<TableRow<T> | null> {
  const [row] = await getRows(ds, table, [id]);
  return row ?? null;
}

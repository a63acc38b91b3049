import type { BUILTIN_KINDS } from "../kinds/builtins.js";
import type { RowOf } from "./columns.js";
import type { TableSchema } from "./manifest.js";
import type { ValidationIssue } from "./errors.js";
import type {
  ComponentTable,
  EmbeddingRow,
  EntityDynamicStateRow,
  EntityRow,
  ImageRow,
  pdfColumns,
  pointCloudColumns,
  RecordRow,
  SequenceFrameRow,
  TableName,
  TextRow,
  VideoRow,
} from "./tables.js";
import { validateRow, type ValidateOptions } from "./validate.js";

/**
 * Table name → row type, the one map every package reads rows through (`TableRow<"bboxes">` is
 * {@link BBoxRow}). The row types derive from the column lists in `tables.ts`; a misspelt field on a
 * typed row is a compile error. Rows may also carry a dataset's custom columns (manifest fields beyond
 * Pixano's base class): those are read with {@link customCell} and written with {@link withCustom}.
 */
export interface TableRows extends KindRows {
  records: RecordRow;
  images: ImageRow;
  sequence_frames: SequenceFrameRow;
  videos: VideoRow;
  texts: TextRow;
  pdfs: PdfRow;
  point_clouds: PointCloudRow;
  entities: EntityRow;
  entity_dynamic_states: EntityDynamicStateRow;
  embeddings: EmbeddingRow;
}

/**
 * Every built-in annotation kind's row type, read off its module's column list (`kinds/*.ts`): a new
 * built-in kind has its row type with no edit here. A kind registered at run time (a test-only kind)
 * is not in this map; its rows are read and written as cells (`readRowCells`, `writeRowCells`).
 */
type KindRows = { [K in (typeof BUILTIN_KINDS)[number] as K["id"]]: RowOf<K["columns"]> };

export type PdfRow = RowOf<typeof pdfColumns>;
export type PointCloudRow = RowOf<typeof pointCloudColumns>;

/** The row type of a table. */
export type TableRow<T extends TableName> = TableRows[T];
/** A row of some table (dynamic paths: REST over `:resource`, import/export over all tables). */
export type AnyRow = TableRow<TableName>;
/** A row of a record document's table. */
export type ComponentRow = TableRow<ComponentTable>;
/** The component tables whose rows belong to one entity: their row type has `entity_id` (read off the row types). */
export type EntityAnnotationTable = {
  [T in ComponentTable]: TableRow<T> extends { readonly entity_id: string }
    ? T extends "entities"
      ? never
      : T
    : never;
}[ComponentTable];
/** What a create takes: any subset of the table's columns; the rest take their defaults. */
export type NewRow<T extends TableName> = Partial<TableRow<T>>;
/** What an update takes: the columns to change. */
export type RowPatch<T extends TableName> = Partial<TableRow<T>>;
/** A dataset's custom columns, by name (not checked by the compiler: the dataset's manifest declares them). */
export type CustomCells = Readonly<Record<string, unknown>>;

/** Every table's row type is in the map (a missing or extra key fails to compile). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const tableRowsCoverEveryTable: Same<keyof TableRows, TableName> = true;
void tableRowsCoverEveryTable;

/** A custom column's value (`undefined` when the row has no such field); narrow it with `typeof`. */
export function customCell(row: object | undefined, field: string): unknown {
  const d = row ? Object.getOwnPropertyDescriptor(row, field) : undefined;
  return d ? (d.value as unknown) : undefined;
}

/** A row (or patch) with custom columns added; they are validated against the dataset's manifest where it is written. */
export function withCustom<R extends object>(row: R, custom: CustomCells): R {
  const out = { ...row };
  for (const [k, v] of Object.entries(custom)) {
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export type ParsedRow<R> = { ok: true; row: R } | { ok: false; issues: ValidationIssue[] };

function checkTable(table: TableName, schema: TableSchema): void {
  if (schema.table.name !== table) throw new TypeError(`a ${schema.table.name} schema cannot parse ${table} rows`);
}

/**
 * Validates untrusted input as a whole row of `table` (mode `create` fills defaults, `full` requires
 * every column): the one place an unknown value becomes a {@link TableRow}.
 */
export function parseRow<T extends TableName>(
  table: T,
  schema: TableSchema,
  input: unknown,
  options: ValidateOptions & { readonly mode: "create" | "full" },
): ParsedRow<TableRow<T>> {
  checkTable(table, schema);
  const r = validateRow(schema, input, options);
  // validateRow checked every column of this table's schema (types, nullability, rules): the row has the table's shape.
  return r.ok ? { ok: true, row: r.row as TableRow<T> } : r;
}

/** Validates untrusted input as a patch of `table`: only the fields present are checked. */
export function parsePatch<T extends TableName>(
  table: T,
  schema: TableSchema,
  input: unknown,
  options: Omit<ValidateOptions, "mode">,
): ParsedRow<RowPatch<T>> {
  checkTable(table, schema);
  const r = validateRow(schema, input, { ...options, mode: "patch" });
  // Every present field was checked against its column's type.
  return r.ok ? { ok: true, row: r.row as RowPatch<T> } : r;
}

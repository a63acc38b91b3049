import { createRequire } from "node:module";
import type * as ArrowNS from "apache-arrow";
import type { DataType, Schema } from "apache-arrow";
import type { CellValue, ColumnType, TableSchema } from "@tessera/shared-crdt";
import type { ColumnDef } from "@tessera/shared-crdt/schema";
import { DatasetError } from "./errors.js";

/**
 * The one Arrow copy: `@lancedb/lancedb` is CommonJS and checks `instanceof` against the CJS
 * build, so an ESM `import` of apache-arrow would give classes LanceDB rejects.
 */
export const arrow: typeof ArrowNS = createRequire(import.meta.url)("apache-arrow") as typeof ArrowNS;

export type ScalarKind = Extract<ColumnType, { kind: "list" }>["of"];

/** The Arrow type of a scalar kind. */
export function scalarArrowType(kind: ScalarKind | "float32"): DataType {
  switch (kind) {
    case "utf8":
      return new arrow.Utf8();
    case "int64":
      return new arrow.Int64();
    case "float64":
      return new arrow.Float64();
    case "float32":
      return new arrow.Float32();
    case "bool":
      return new arrow.Bool();
    case "timestamp_us":
      return new arrow.Timestamp(arrow.TimeUnit.MICROSECOND);
  }
}

/**
 * The Arrow type of a column, as LanceDB's pydantic mapping writes it: list elements are a
 * nullable field named `item` (pyarrow's `pa.list_`), vectors are `fixed_size_list<float32>[n]`.
 */
export function arrowTypeOf(type: ColumnType): DataType {
  switch (type.kind) {
    case "binary":
    case "binary_text":
      return new arrow.Binary();
    case "large_binary":
      return new arrow.LargeBinary();
    case "list":
      return new arrow.List(new arrow.Field("item", scalarArrowType(type.of), true));
    case "fixed_size_list":
      return new arrow.FixedSizeList(type.dim, new arrow.Field("item", scalarArrowType(type.of), true));
    default:
      return scalarArrowType(type.kind);
  }
}

/** The Arrow schema Pixano writes for a table as a dataset declares it (names, order, types, nullability). */
export function arrowSchemaOf(schema: TableSchema): Schema {
  return new arrow.Schema(schema.columns.map((c) => new arrow.Field(c.name, arrowTypeOf(c.type), c.nullable)));
}

// ---------------------------------------------------------------------------------------------
// Arrow → column types (reading a table whose on-disk schema is authoritative)
// ---------------------------------------------------------------------------------------------

function scalarKindOfArrow(t: DataType): ScalarKind | "float32" | null {
  if (arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t)) return "utf8";
  if (arrow.DataType.isInt(t)) return "int64";
  if (arrow.DataType.isFloat(t)) return t.precision === arrow.Precision.SINGLE ? "float32" : "float64";
  if (arrow.DataType.isBool(t)) return "bool";
  if (arrow.DataType.isTimestamp(t)) return "timestamp_us";
  return null;
}

/** The column type of an Arrow type, or null when the schema language cannot express it (structs…). */
export function columnTypeOfArrow(t: DataType, expected?: ColumnType): ColumnType | null {
  if (arrow.DataType.isBinary(t))
    return expected?.kind === "binary_text" ? { kind: "binary_text" } : { kind: "binary" };
  if (arrow.DataType.isLargeBinary(t)) return { kind: "large_binary" };
  if (arrow.DataType.isList(t)) {
    const of = scalarKindOfArrow(t.children[0]!.type);
    if (of === null) return null;
    return { kind: "list", of: of === "float32" ? "float64" : of };
  }
  if (arrow.DataType.isFixedSizeList(t)) {
    const of = scalarKindOfArrow(t.children[0]!.type);
    if (of !== "float32" && of !== "float64") return null;
    return { kind: "fixed_size_list", of, dim: t.listSize };
  }
  const k = scalarKindOfArrow(t);
  return k === null ? null : ({ kind: k } as ColumnType);
}

function sameType(a: ColumnType, b: ColumnType): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "list" && b.kind === "list") return a.of === b.of;
  if (a.kind === "fixed_size_list" && b.kind === "fixed_size_list") return a.of === b.of && a.dim === b.dim;
  return true;
}

function zeroDefault(type: ColumnType): () => CellValue {
  switch (type.kind) {
    case "utf8":
    case "binary_text":
      return () => "";
    case "timestamp_us":
      return () => "1970-01-01T00:00:00";
    case "bool":
      return () => false;
    case "binary":
    case "large_binary":
      return () => new Uint8Array(0);
    case "list":
      return () => [];
    case "fixed_size_list":
      return () => null;
    default:
      return () => 0;
  }
}

/** A table's layout on disk against what its dataset declares. */
export interface TableLayout {
  /** The on-disk columns, in on-disk order, typed from the disk (declared defaults kept when types agree). */
  readonly schema: TableSchema;
  /** Declared columns absent on disk (an older layout): filled with defaults on read. */
  readonly missing: readonly ColumnDef[];
}

/**
 * Reconciles an on-disk Arrow schema with the declared table: the disk decides which columns exist,
 * their order and types (a newer Pixano's `review_status`, custom fields info.json does not list,
 * an embeddings table's vector dimension); the declaration supplies defaults and `binary_text`.
 */
export function tableLayoutFromArrow(arrowSchema: Schema, expected: TableSchema): TableLayout {
  const byName = new Map(expected.columns.map((c) => [c.name, c]));
  const columns: ColumnDef[] = [];
  for (const field of arrowSchema.fields) {
    const declared = byName.get(field.name);
    const type = columnTypeOfArrow(field.type, declared?.type);
    if (type === null) {
      throw new DatasetError(
        "invalid_dataset",
        `${expected.table.name}.${field.name}: Arrow type ${String(field.type)} is not supported`,
      );
    }
    if (declared && sameType(declared.type, type)) {
      columns.push({ ...declared, nullable: field.nullable });
    } else {
      columns.push({
        name: field.name,
        type,
        nullable: field.nullable,
        default: declared && declared.type.kind === type.kind ? declared.default : zeroDefault(type),
        source: declared?.source ?? "custom",
      });
    }
  }
  const onDisk = new Set(arrowSchema.fields.map((f) => f.name));
  const missing = expected.columns.filter((c) => !onDisk.has(c.name));
  const required = new Set([...expected.required].filter((n) => onDisk.has(n)));
  return { schema: { ...expected, columns, required }, missing };
}

/** {@link tableLayoutFromArrow} without the missing-column report. */
export function tableSchemaFromArrow(arrowSchema: Schema, expected: TableSchema): TableSchema {
  return tableLayoutFromArrow(arrowSchema, expected).schema;
}

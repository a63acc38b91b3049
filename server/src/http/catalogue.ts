import {
  OPS_BY_TYPE,
  type ColumnDef,
  type FilterOp,
  type FilterValueType,
  type TableSchema,
} from "@tessera/shared-crdt";

/**
 * The explorer's column catalogue (Pixano 0.8.x `build_column_catalogue`): which columns of a
 * table can be filtered, sorted and searched, with which operators. The same catalogue checks
 * `filter=`/`sort=` requests and is published by `GET /datasets/{id}/filters`.
 */
export interface ColumnDescriptor {
  readonly name: string;
  /** `str|int|float|bool|datetime` for scalars; `bytes`, `FixedSizeList` otherwise. */
  readonly type: string;
  readonly collection: boolean;
  readonly source: "base" | "custom";
  readonly filterable: boolean;
  readonly sortable: boolean;
  readonly searchable: boolean;
  readonly operators: readonly FilterOp[];
}

const SCALAR_NAMES: Readonly<Record<string, FilterValueType | "bytes">> = {
  utf8: "str",
  int64: "int",
  float64: "float",
  float32: "float",
  bool: "bool",
  timestamp_us: "datetime",
  binary: "bytes",
  large_binary: "bytes",
  binary_text: "bytes",
};

function describeType(c: ColumnDef): { type: string; collection: boolean } {
  const t = c.type;
  if (t.kind === "list") return { type: SCALAR_NAMES[t.of] ?? t.of, collection: true };
  if (t.kind === "fixed_size_list") return { type: "FixedSizeList", collection: false };
  return { type: SCALAR_NAMES[t.kind] ?? t.kind, collection: false };
}

function isFilterValueType(type: string): type is FilterValueType {
  return Object.prototype.hasOwnProperty.call(OPS_BY_TYPE, type);
}

/** One descriptor per column; `searchable` follows Pixano (record `comment` and custom strings). */
export function describeColumns(schema: TableSchema): ColumnDescriptor[] {
  const isRecords = schema.table.name === "records";
  const out = schema.columns.map((c): ColumnDescriptor => {
    const { type, collection } = describeType(c);
    const scalar = isFilterValueType(type) && !collection;
    return {
      name: c.name,
      type,
      collection,
      source: c.source,
      filterable: scalar,
      sortable: scalar,
      searchable: type === "str" && !collection && (c.source === "custom" || (isRecords && c.name === "comment")),
      operators: scalar ? OPS_BY_TYPE[type as FilterValueType] : [],
    };
  });
  return out;
}

/** Pixano's publication order: base columns first, then custom ones, each by name. */
export function catalogueOrder(columns: readonly ColumnDescriptor[]): ColumnDescriptor[] {
  return [...columns].sort((a, b) => {
    if (a.source !== b.source) return a.source === "base" ? -1 : 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

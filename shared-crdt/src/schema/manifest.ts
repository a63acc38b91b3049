import type { ColumnType } from "./columnTypes.js";
import type { ColumnDef } from "./columns.js";
import { embeddingColumns, tableByBaseClass, TABLES, type TableDef, type TableName } from "./tables.js";
import { SchemaError } from "./errors.js";
import { fromBase64, toBase64 } from "lib0/buffer";

/**
 * `info.json` schema manifests (Pixano spec §3.3): `{base, fields, name?}` where `fields` only lists
 * what a user subclass adds to (or overrides in) Pixano's base class.
 */
export interface FieldPayload {
  collection: boolean;
  type: string;
  required: boolean;
  default?: unknown;
  dim?: number;
  value_type?: string;
}

export interface SchemaManifest {
  base: string;
  fields: Record<string, FieldPayload>;
  name?: string;
}

/** A table as one dataset declares it: the canonical definition plus that dataset's custom fields. */
export interface TableSchema {
  readonly table: TableDef;
  readonly columns: readonly ColumnDef[];
  /** The Python class name Pixano would instantiate (the manifest's `name`, else the base class). */
  readonly className: string;
  /** Custom fields marked `required` in the manifest: they have no default. */
  readonly required: ReadonlySet<string>;
}

const SCALAR_TYPES: Record<string, ColumnType["kind"]> = {
  str: "utf8",
  int: "int64",
  float: "float64",
  bool: "bool",
  datetime: "timestamp_us",
  bytes: "binary",
};

function zeroOf(type: ColumnType): unknown {
  switch (type.kind) {
    case "utf8":
    case "binary_text":
      return "";
    case "timestamp_us":
      return "1970-01-01T00:00:00";
    case "int64":
    case "float64":
    case "float32":
      return 0;
    case "bool":
      return false;
    case "binary":
    case "large_binary":
      return new Uint8Array(0);
    case "list":
      return [];
    case "fixed_size_list":
      return null;
  }
}

function decodeDefault(value: unknown): unknown {
  if (value !== null && typeof value === "object" && "__bytes__" in value) {
    return fromBase64(String((value as { __bytes__: unknown }).__bytes__));
  }
  return value;
}

function fieldType(name: string, payload: FieldPayload): ColumnType {
  if (payload.type === "FixedSizeList") {
    const dim = payload.dim;
    if (typeof dim !== "number" || !Number.isInteger(dim) || dim <= 0) {
      throw new SchemaError("invalid_manifest", `field ${name}: FixedSizeList needs a positive integer "dim"`);
    }
    return { kind: "fixed_size_list", of: payload.value_type === "double" ? "float64" : "float32", dim };
  }
  const kind = SCALAR_TYPES[payload.type];
  if (kind === undefined) {
    throw new SchemaError("unsupported_field_type", `field ${name}: unsupported type ${JSON.stringify(payload.type)}`);
  }
  if (payload.collection) {
    if (kind === "binary")
      throw new SchemaError("unsupported_field_type", `field ${name}: list of bytes is not supported`);
    return { kind: "list", of: kind as "utf8" | "int64" | "float64" | "bool" | "timestamp_us" };
  }
  return { kind } as ColumnType;
}

/** The manifest field payload describing a custom column (inverse of {@link fieldType}). */
export function payloadOfColumn(column: ColumnDef, required: boolean, dflt: unknown): FieldPayload {
  const t = column.type;
  if (t.kind === "fixed_size_list") {
    return {
      collection: false,
      type: "FixedSizeList",
      dim: t.dim,
      value_type: t.of === "float64" ? "double" : "float",
      required,
    };
  }
  const scalar = t.kind === "list" ? t.of : t.kind;
  const type = Object.entries(SCALAR_TYPES).find(([, k]) => k === scalar)?.[0] ?? "str";
  const payload: FieldPayload = { collection: t.kind === "list", type, required };
  if (!required) payload.default = dflt;
  return payload;
}

/** Builds a custom column from a manifest field. */
export function customColumn(name: string, payload: FieldPayload): ColumnDef {
  const type = fieldType(name, payload);
  const fixed = payload.default === undefined ? zeroOf(type) : decodeDefault(payload.default);
  const nullable = type.kind === "fixed_size_list" || (!payload.required && payload.default === null);
  return {
    name,
    type,
    nullable,
    default: () =>
      (Array.isArray(fixed) ? [...fixed] : fixed) as ColumnDef["default"] extends () => infer V ? V : never,
    source: "custom",
  };
}

export function parseManifest(value: unknown, where: string): SchemaManifest | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "object" || Array.isArray(value))
    throw new SchemaError("invalid_manifest", `${where}: not an object`);
  const m = value as Record<string, unknown>;
  if (typeof m.base !== "string") throw new SchemaError("invalid_manifest", `${where}.base: missing`);
  const fields = m.fields ?? {};
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    throw new SchemaError("invalid_manifest", `${where}.fields: not an object`);
  }
  for (const [k, f] of Object.entries(fields)) {
    if (typeof f !== "object" || f === null || typeof (f as FieldPayload).type !== "string") {
      throw new SchemaError("invalid_manifest", `${where}.fields.${k}: needs a "type"`);
    }
  }
  const out: SchemaManifest = { base: m.base, fields: fields as Record<string, FieldPayload> };
  if (typeof m.name === "string") out.name = m.name;
  return out;
}

/**
 * The table a manifest declares. As in Pixano, a manifest without `name` is the plain base class
 * (its `fields` are not applied). A custom field that redefines a base column keeps the base
 * column's position; new fields are appended in manifest order.
 */
export function tableSchemaFromManifest(
  manifest: SchemaManifest | null,
  fallback: TableName,
  embeddingDim = 0,
): TableSchema {
  const table = manifest ? tableByBaseClass(manifest.base) : TABLES[fallback];
  if (!table) throw new SchemaError("unknown_base", `unknown schema base class ${JSON.stringify(manifest?.base)}`);
  const base = table.name === "embeddings" ? embeddingColumns(embeddingDim) : table.columns;
  const columns: ColumnDef[] = [...base];
  const required = new Set<string>();
  if (manifest?.name !== undefined) {
    for (const [name, payload] of Object.entries(manifest.fields)) {
      if (name === "__proto__" || name === "constructor")
        throw new SchemaError("invalid_manifest", `field name ${name} is reserved`);
      const c = customColumn(name, payload);
      const at = columns.findIndex((x) => x.name === name);
      if (at >= 0) columns[at] = { ...c, source: "base" };
      else columns.push(c);
      if (payload.required && payload.default === undefined) required.add(name);
    }
  }
  return { table, columns, className: manifest?.name ?? table.baseClass, required };
}

/** The manifest Pixano would write for a table schema (only custom fields are listed). */
export function manifestOfTableSchema(schema: TableSchema): SchemaManifest {
  const fields: Record<string, FieldPayload> = {};
  for (const c of schema.columns) {
    if (c.source !== "custom") continue;
    const required = schema.required.has(c.name);
    let dflt = c.default({ now: () => new Date(0) });
    if (dflt instanceof Uint8Array) dflt = { __bytes__: toBase64(dflt) } as unknown as typeof dflt;
    fields[c.name] = payloadOfColumn(c, required, dflt);
  }
  const out: SchemaManifest = { base: schema.table.baseClass, fields };
  if (schema.className !== schema.table.baseClass || Object.keys(fields).length > 0) out.name = schema.className;
  return out;
}

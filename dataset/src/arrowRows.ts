import type { Data, DataType, Field, Schema, Table, Vector } from "apache-arrow";
import {
  canonicalInt64,
  formatTimestamp,
  parseTimestampMicros,
  type CellValue,
  type Row,
  type TableSchema,
} from "@tessera/shared-crdt";
import type { ColumnDef } from "@tessera/shared-crdt/schema";
import { arrow, arrowSchemaOf, arrowTypeOf, scalarArrowType, type ScalarKind } from "./arrow.js";

/**
 * Rows ↔ Arrow, column by column from typed buffers: int64 and microsecond timestamps keep full
 * precision (int64 cells beyond ±(2^53 − 1) come out as `bigint`, S-INT64), `binary_text` is UTF-8, bytes are `Uint8Array`, lists plain arrays.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function validity(values: readonly unknown[]): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  let nullCount = 0;
  for (const v of values) if (v === null || v === undefined) nullCount++;
  if (nullCount === 0) return { nullBitmap: undefined, nullCount };
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null && v !== undefined) bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { nullBitmap: bitmap, nullCount };
}

function bytesOf(kind: string, v: unknown, where: string): Uint8Array {
  if (kind === "binary_text") {
    if (typeof v !== "string") throw new TypeError(`${where}: expected a string`);
    return encoder.encode(v);
  }
  if (typeof v === "string") return encoder.encode(v);
  if (!(v instanceof Uint8Array)) throw new TypeError(`${where}: expected bytes`);
  return v;
}

function variableData(type: DataType, parts: readonly (Uint8Array | null)[], large: boolean): Data {
  let total = 0;
  for (const p of parts) total += p?.length ?? 0;
  const data = new Uint8Array(total);
  const offsets = large ? new BigInt64Array(parts.length + 1) : new Int32Array(parts.length + 1);
  let at = 0;
  parts.forEach((p, i) => {
    if (p) {
      data.set(p, at);
      at += p.length;
    }
    if (large) (offsets as BigInt64Array)[i + 1] = BigInt(at);
    else (offsets as Int32Array)[i + 1] = at;
  });
  const { nullBitmap, nullCount } = validity(parts);
  return arrow.makeData({ type, length: parts.length, nullCount, nullBitmap, valueOffsets: offsets, data } as never);
}

function scalarData(kind: ScalarKind | "float32", values: readonly unknown[], where: string): Data {
  const n = values.length;
  const type = scalarArrowType(kind);
  const { nullBitmap, nullCount } = validity(values);
  switch (kind) {
    case "utf8":
      return variableData(
        type,
        values.map((v) => (v === null || v === undefined ? null : encoder.encode(String(v)))),
        false,
      );
    case "int64": {
      const out = new BigInt64Array(n);
      values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        // Exact for a safe-integer number or a bigint; never wrapped modulo 2^64 by the typed array.
        const big = BigInt(v as number | bigint);
        if (BigInt.asIntN(64, big) !== big) throw new TypeError(`${where}: ${big} does not fit a 64-bit integer`);
        out[i] = big;
      });
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: out } as never);
    }
    case "float64":
    case "float32": {
      const out = kind === "float64" ? new Float64Array(n) : new Float32Array(n);
      values.forEach((v, i) => {
        if (v !== null && v !== undefined) out[i] = v as number;
      });
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: out } as never);
    }
    case "bool": {
      const out = new Uint8Array(Math.ceil(n / 8));
      values.forEach((v, i) => {
        if (v === true) out[i >> 3]! |= 1 << (i & 7);
      });
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: out } as never);
    }
    case "timestamp_us": {
      const out = new BigInt64Array(n);
      values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        const micros = v instanceof Date ? v.getTime() * 1000 : parseTimestampMicros(String(v));
        if (!Number.isFinite(micros)) throw new TypeError(`${where}: ${JSON.stringify(v)} is not a timestamp`);
        out[i] = BigInt(micros);
      });
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: out } as never);
    }
  }
}

function columnData(column: ColumnDef, values: readonly unknown[], table: string): Data {
  const where = `${table}.${column.name}`;
  const t = column.type;
  if (!column.nullable && values.some((v) => v === null || v === undefined)) {
    throw new TypeError(`${where}: null in a non-nullable column`);
  }
  switch (t.kind) {
    case "binary":
    case "binary_text":
    case "large_binary":
      return variableData(
        arrowTypeOf(t),
        values.map((v) => (v === null || v === undefined ? null : bytesOf(t.kind, v, where))),
        t.kind === "large_binary",
      );
    case "list": {
      const offsets = new Int32Array(values.length + 1);
      const flat: unknown[] = [];
      values.forEach((v, i) => {
        if (Array.isArray(v)) for (const x of v) flat.push(x);
        offsets[i + 1] = flat.length;
      });
      const child = scalarData(t.of, flat, where);
      const { nullBitmap, nullCount } = validity(values);
      return arrow.makeData({
        type: arrowTypeOf(t),
        length: values.length,
        nullCount,
        nullBitmap,
        valueOffsets: offsets,
        child,
      } as never);
    }
    case "fixed_size_list": {
      const flat =
        t.of === "float32" ? new Float32Array(values.length * t.dim) : new Float64Array(values.length * t.dim);
      values.forEach((v, i) => {
        if (!Array.isArray(v) && !ArrayBuffer.isView(v)) return;
        const arr = v as ArrayLike<number>;
        if (arr.length !== t.dim) throw new TypeError(`${where}: expected ${t.dim} values, got ${arr.length}`);
        for (let k = 0; k < t.dim; k++) flat[i * t.dim + k] = arr[k]!;
      });
      const child = arrow.makeData({
        type: scalarArrowType(t.of),
        length: flat.length,
        nullCount: 0,
        data: flat,
      } as never);
      const { nullBitmap, nullCount } = validity(values);
      return arrow.makeData({ type: arrowTypeOf(t), length: values.length, nullCount, nullBitmap, child } as never);
    }
    default:
      return scalarData(t.kind, values, where);
  }
}

/**
 * Builds an Arrow table of rows (already validated) for a table schema. Columns are built straight
 * from typed buffers: int64 and timestamps keep full precision (no float round-trip).
 */
export function rowsToArrowTable(
  schema: TableSchema,
  rows: readonly Row[],
  arrowSchema: Schema = arrowSchemaOf(schema),
): Table {
  const children = schema.columns.map((c) =>
    columnData(
      c,
      rows.map((r) => r[c.name]),
      schema.table.name,
    ),
  );
  const struct = arrow.makeData({
    type: new arrow.Struct(arrowSchema.fields),
    length: rows.length,
    nullCount: 0,
    children,
  } as never);
  return new arrow.Table([new arrow.RecordBatch(arrowSchema, struct as never)]);
}

// ---------------------------------------------------------------------------------------------
// Arrow → rows
// ---------------------------------------------------------------------------------------------

/** Naive ISO string of a microsecond timestamp, in {@link formatTimestamp}'s format. */
export function timestampFromMicros(micros: bigint | number): string {
  const big = typeof micros === "bigint" ? micros : BigInt(Math.round(micros));
  let ms = big / 1000n;
  let rest = big % 1000n;
  if (rest < 0n) {
    rest += 1000n;
    ms -= 1n;
  }
  return formatTimestamp(new Date(Number(ms)), Number(rest));
}

function listToArray(v: unknown, of: string): unknown[] {
  if (v === null || v === undefined) return [];
  const vec = v as Vector;
  const raw = typeof vec.toArray === "function" ? vec.toArray() : (v as unknown[]);
  if (of === "int64") return Array.from(raw as ArrayLike<bigint | number>, canonicalInt64);
  if (of === "timestamp_us") {
    const data = (vec as Vector).data?.[0];
    if (data && data.values instanceof BigInt64Array) {
      return Array.from(data.values.subarray(data.offset, data.offset + data.length), timestampFromMicros);
    }
  }
  return Array.from(raw as ArrayLike<unknown>);
}

function decodeCell(column: ColumnDef, v: unknown): CellValue {
  if (v === null || v === undefined)
    return column.nullable ? null : (column.default({ now: () => new Date(0) }) ?? null);
  const t = column.type;
  switch (t.kind) {
    case "int64":
      return canonicalInt64(v as bigint | number);
    case "binary_text":
      return typeof v === "string" ? v : decoder.decode(v as Uint8Array);
    case "binary":
    case "large_binary":
      return (v as Uint8Array).slice();
    case "list":
      return listToArray(v, t.of) as CellValue;
    case "fixed_size_list":
      return Array.from((v as Vector).toArray() as ArrayLike<number>);
    case "timestamp_us":
      // A StructRow gives milliseconds (possibly fractional): microseconds are rounded.
      return typeof v === "number" ? timestampFromMicros(Math.round(v * 1000)) : timestampFromMicros(v as bigint);
    default:
      return v as CellValue;
  }
}

/** Converts one Arrow row (a `StructRow` or plain object from `toArray()`) into a row. */
export function arrowRowToRow(schema: TableSchema, arrowRow: Readonly<Record<string, unknown>>): Row {
  const out: Row = {};
  for (const c of schema.columns) {
    if (!(c.name in arrowRow) && (arrowRow as { toJSON?: unknown }).toJSON === undefined) continue;
    const v = arrowRow[c.name];
    if (v === undefined) continue;
    out[c.name] = decodeCell(c, v);
  }
  return out;
}

function decodeColumn(column: ColumnDef, vector: Vector): CellValue[] {
  const out: CellValue[] = new Array(vector.length);
  const t = column.type;
  if (t.kind === "int64" || t.kind === "timestamp_us") {
    let i = 0;
    for (const chunk of vector.data as Data[]) {
      const values = chunk.values as BigInt64Array;
      for (let k = 0; k < chunk.length; k++, i++) {
        if (chunk.nullCount > 0 && !chunk.getValid(k)) {
          out[i] = decodeCell(column, null);
          continue;
        }
        const raw = values[chunk.offset + k]!;
        out[i] = t.kind === "int64" ? canonicalInt64(raw) : timestampFromMicros(raw);
      }
    }
    return out;
  }
  let i = 0;
  for (const v of vector) out[i++] = decodeCell(column, v);
  return out;
}

/**
 * Converts an Arrow table read from LanceDB into rows, column by column (exact int64 and
 * microsecond timestamps). Columns of the result that the schema does not know are skipped;
 * `fill` columns absent from the result are set to their defaults.
 */
export function arrowTableToRows(schema: TableSchema, table: Table, fill: readonly ColumnDef[] = []): Row[] {
  const rows: Row[] = Array.from({ length: table.numRows }, () => ({}));
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  for (const field of table.schema.fields as Field[]) {
    const column = byName.get(field.name);
    if (!column) continue;
    const vector = table.getChild(field.name);
    if (!vector) continue;
    const values = decodeColumn(column, vector);
    for (let i = 0; i < rows.length; i++) rows[i]![field.name] = values[i];
  }
  if (fill.length > 0) {
    const ctx = { now: () => new Date(0) };
    for (const row of rows) for (const c of fill) if (!(c.name in row)) row[c.name] = c.default(ctx);
  }
  return rows;
}

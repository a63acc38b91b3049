import type { ColumnDef, Row, TableSchema } from "@tessera/shared-crdt";
import { PyFloat } from "./json.js";

/**
 * Rows → Pixano response payloads (`serialize_row`): every column in schema order, custom
 * columns included, bytes dropped (view `raw_bytes`/`preview` never leave as JSON), mask
 * `counts` as its string, float columns kept as floats. Embeddings also drop `vector`.
 */

function isBytes(c: ColumnDef): boolean {
  return c.type.kind === "binary" || c.type.kind === "large_binary";
}

function isFloatKind(kind: string): boolean {
  return kind === "float64" || kind === "float32";
}

/** Wraps float cells so they print as Python floats; leaves everything else as is. */
function cellOut(c: ColumnDef, v: unknown): unknown {
  if (v === null || v === undefined) return v ?? null;
  const t = c.type;
  if (isFloatKind(t.kind) && typeof v === "number") return new PyFloat(v);
  if ((t.kind === "list" || t.kind === "fixed_size_list") && isFloatKind(t.of) && Array.isArray(v)) {
    return v.map((x) => (typeof x === "number" ? new PyFloat(x) : x));
  }
  if (v instanceof Uint8Array) return undefined;
  return v;
}

export interface SerializeOptions {
  /** Columns left out of the payload (embeddings: `vector`). */
  readonly exclude?: ReadonlySet<string>;
}

export function serializeRow(schema: TableSchema, row: Row, options: SerializeOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of schema.columns) {
    if (isBytes(c) || options.exclude?.has(c.name)) continue;
    if (!Object.prototype.hasOwnProperty.call(row, c.name)) continue;
    const v = cellOut(c, row[c.name]);
    if (v !== undefined) out[c.name] = v;
  }
  return out;
}

/** The columns a listing needs to read: everything but media bytes (and excluded columns). */
export function readableColumns(schema: TableSchema, options: SerializeOptions = {}): string[] {
  return schema.columns.filter((c) => !isBytes(c) && !options.exclude?.has(c.name)).map((c) => c.name);
}

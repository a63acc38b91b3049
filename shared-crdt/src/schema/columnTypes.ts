/**
 * The column type language of the schema. `shared-crdt` may not import Arrow, so tables are
 * described with this small vocabulary; `@tessera/dataset` maps it 1:1 onto Arrow types
 * (see Pixano spec §2.1 for the LanceDB pydantic mapping these mirror).
 */
export type ScalarKind = "utf8" | "int64" | "float64" | "float32" | "bool" | "timestamp_us";

/**
 * - `binary` / `large_binary`: raw bytes, represented in rows as `Uint8Array`.
 * - `binary_text`: stored as Arrow `binary` but carrying UTF-8 text (mask RLE `counts`);
 *   represented in rows as a `string`, exactly as Pixano's API serialises it.
 */
type BinaryKind = "binary" | "large_binary" | "binary_text";

export type ColumnType =
  | { readonly kind: ScalarKind }
  | { readonly kind: BinaryKind }
  | { readonly kind: "list"; readonly of: ScalarKind }
  | { readonly kind: "fixed_size_list"; readonly of: "float32" | "float64"; readonly dim: number };

/** The JS value a column type holds in a row. */
export type ValueOf<T extends ColumnType> = T extends { kind: "list"; of: infer S }
  ? S extends "utf8" | "timestamp_us"
    ? string[]
    : S extends "bool"
      ? boolean[]
      : S extends "int64"
        ? Array<number | bigint>
        : number[]
  : T extends { kind: "fixed_size_list" }
    ? number[]
    : T extends { kind: "utf8" | "timestamp_us" | "binary_text" }
      ? string
      : T extends { kind: "bool" }
        ? boolean
        : T extends { kind: "binary" | "large_binary" }
          ? Uint8Array
          : T extends { kind: "int64" }
            ? number | bigint
            : number;

/** Any value a cell may hold; int64 cells beyond ±(2^53 − 1) are `bigint` (see `int64.ts`). */
export type CellValue =
  string | number | bigint | boolean | Uint8Array | string[] | number[] | Array<number | bigint> | boolean[] | null;

export function typeToString(t: ColumnType): string {
  switch (t.kind) {
    case "list":
      return `list<${t.of}>`;
    case "fixed_size_list":
      return `fixed_size_list<${t.of}>[${t.dim}]`;
    default:
      return t.kind;
  }
}

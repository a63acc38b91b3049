import type { CellValue, ColumnType, ScalarKind, ValueOf } from "./columnTypes.js";

/** What a default is computed from: only the clock, injected so tests control time. */
export interface DefaultContext {
  readonly now: () => Date;
}

export interface ColumnDef<
  N extends string = string,
  T extends ColumnType = ColumnType,
  Null extends boolean = boolean,
> {
  readonly name: N;
  readonly type: T;
  readonly nullable: Null;
  /** The value a missing field takes (Pixano's sentinel: `""`, `-1`, `"{}"`, `[]`, now). */
  readonly default: (ctx: DefaultContext) => CellValue;
  /** Where the column comes from: Pixano's base class, or a custom field of a manifest. */
  readonly source: "base" | "custom";
  /**
   * A text column edited by several people at once (SPEC D-TEXT): a record document stores it as a
   * `Y.Text`, so concurrent edits of different parts merge. Its value is still a string everywhere
   * else (rows, LanceDB, REST). Only `utf8` columns declared by a kind carry it.
   */
  readonly collaborative?: true;
}

type CellOf<C> =
  C extends ColumnDef<string, infer T, infer Null> ? (Null extends true ? ValueOf<T> | null : ValueOf<T>) : never;

/** The row type of an ordered column list. */
export type RowOf<C extends readonly ColumnDef[]> = { [K in C[number] as K["name"]]: CellOf<K> };

function def<N extends string, T extends ColumnType, Null extends boolean>(
  name: N,
  type: T,
  nullable: Null,
  dflt: (ctx: DefaultContext) => CellValue,
): ColumnDef<N, T, Null> {
  return { name, type, nullable, default: dflt, source: "base" };
}

/**
 * Pixano writes naive local timestamps (`datetime.now()`); we write naive UTC ones in
 * Python's `isoformat()` shape, which is how Pixano's API serialises them.
 */
export function formatTimestamp(date: Date, micros = 0): string {
  const iso = date.toISOString().slice(0, 19);
  const us = date.getUTCMilliseconds() * 1000 + micros;
  return us === 0 ? iso : `${iso}.${String(us).padStart(6, "0")}`;
}

const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

/** Parses a naive ISO timestamp (as written by {@link formatTimestamp}) to microseconds since the epoch. */
export function parseTimestampMicros(value: string): number {
  const m = TIMESTAMP_RE.exec(value);
  if (!m) return Number.NaN;
  const base = Date.parse(`${value.slice(0, 19)}Z`);
  const frac = m[1] ? Number(m[1].slice(1).padEnd(6, "0")) : 0;
  return base * 1000 + frac;
}

export function isTimestampString(value: string): boolean {
  return TIMESTAMP_RE.test(value) && !Number.isNaN(Date.parse(`${value.slice(0, 19)}Z`));
}

const list = <S extends ScalarKind>(of: S) => ({ kind: "list", of }) as const;

/** Column builders; names and sentinels follow Pixano's pydantic models. */
export const col = {
  str: <N extends string>(name: N, dflt = "") => def(name, { kind: "utf8" } as const, false, () => dflt),
  /** A `utf8` column stored as a `Y.Text` in record documents ({@link ColumnDef.collaborative}). */
  text: <N extends string>(name: N): ColumnDef<N, { readonly kind: "utf8" }, false> => ({
    ...def(name, { kind: "utf8" } as const, false, () => ""),
    collaborative: true,
  }),
  int: <N extends string>(name: N, dflt = 0) => def(name, { kind: "int64" } as const, false, () => dflt),
  float: <N extends string>(name: N, dflt = 0) => def(name, { kind: "float64" } as const, false, () => dflt),
  bool: <N extends string>(name: N, dflt = false) => def(name, { kind: "bool" } as const, false, () => dflt),
  timestamp: <N extends string>(name: N) =>
    def(name, { kind: "timestamp_us" } as const, false, (ctx) => formatTimestamp(ctx.now())),
  strList: <N extends string>(name: N) => def(name, list("utf8"), false, () => []),
  intList: <N extends string>(name: N) => def(name, list("int64"), false, () => []),
  floatList: <N extends string>(name: N) => def(name, list("float64"), false, () => []),
  binary: <N extends string>(name: N) => def(name, { kind: "binary" } as const, false, () => new Uint8Array(0)),
  /** `raw_bytes` is forced to `large_binary` and is nullable (Pixano spec §2.1). */
  largeBinary: <N extends string>(name: N) =>
    def(name, { kind: "large_binary" } as const, true, () => new Uint8Array(0)),
  binaryText: <N extends string>(name: N) => def(name, { kind: "binary_text" } as const, false, () => ""),
  vector: <N extends string>(name: N, dim: number) =>
    def(name, { kind: "fixed_size_list", of: "float32", dim } as const, true, () => null),
};

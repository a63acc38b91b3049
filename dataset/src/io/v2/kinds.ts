import { ANNOTATION_KINDS, type ColumnDef, type TableName } from "@tessera/shared-crdt";
import { pointerJoin } from "../errors.js";
import type { Checker } from "./check.js";

/**
 * The JSONL v2 annotation kinds, read off the kind registry (docs/ARCHITECTURE.md §9): each kind's
 * `kind` key, the keys a line may carry, its table, and the column-typed reader of a kind without
 * a parser of its own in `grammar.ts`.
 */
/** A v2 annotation `kind`: the `io.v2.key` of an annotation kind (`bbox`, `mask`, …). */
export type V2Kind = string;
/** Every v2 annotation `kind`, from the kind registry. */
export const V2_KINDS: readonly V2Kind[] = ANNOTATION_KINDS.flatMap((k) => (k.io.v2 ? [k.io.v2.key] : []));
const V2_DECLARED = ANNOTATION_KINDS.flatMap((k) => (k.io.v2 ? [{ kind: k, v2: k.io.v2 }] : []));
const KIND_KEYS: ReadonlyMap<V2Kind, readonly string[]> = new Map(V2_DECLARED.map((d) => [d.v2.key, d.v2.fields]));
/** v2 `kind` → its table, from the kind registry. */
const KIND_TABLE: ReadonlyMap<V2Kind, TableName> = new Map(V2_DECLARED.map((d) => [d.v2.key, d.kind.id as TableName]));
const KIND_COLUMNS: ReadonlyMap<V2Kind, readonly ColumnDef[]> = new Map(
  V2_DECLARED.map((d) => [d.v2.key, d.kind.columns]),
);

/** The table of a v2 kind the grammar accepted (every one is a registered kind's). */
export function v2Table(kind: V2Kind): TableName {
  const t = KIND_TABLE.get(kind);
  if (t === undefined) throw new Error(`v2 kind "${kind}" is not a registered annotation kind`);
  return t;
}

/**
 * The fields of a registered kind without a parser of its own: each declared key is read by its
 * column's type (a missing key takes the column's default when the row is written).
 */
export function columnFields(c: Checker, kind: V2Kind, o: Record<string, unknown>, p: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const columns = KIND_COLUMNS.get(kind) ?? [];
  for (const key of KIND_KEYS.get(kind) ?? []) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    const at = pointerJoin(p, key);
    const type = columns.find((col) => col.name === key)?.type;
    if (type === undefined) c.fail(at, `${kind} key "${key}" is not a column of its table`);
    else if (type.kind === "utf8") out[key] = c.string(v, at);
    else if (type.kind === "int64") out[key] = c.int64(v, at);
    else if (type.kind === "float64") out[key] = c.number(v, at);
    else if (type.kind === "bool") out[key] = c.bool(v, at);
    else if (type.kind === "list" && type.of === "utf8") out[key] = c.strings(v, at);
    else if (type.kind === "list" && type.of === "int64") out[key] = c.int64s(v, at);
    else if (type.kind === "list" && type.of === "float64") out[key] = c.numbers(v, at);
    else c.fail(at, `${kind} key "${key}" has a column type JSONL v2 does not carry`);
  }
  return out;
}

/** The keys an annotation of `kind` may carry besides the common ones. */
export function kindKeys(kind: V2Kind): readonly string[] {
  return KIND_KEYS.get(kind) ?? [];
}

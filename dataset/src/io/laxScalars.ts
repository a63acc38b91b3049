import { toInt64, type IssueCode } from "@tessera/shared-crdt";

/**
 * One JSON value → the Python scalar type of a Pixano model field, with the conversions pydantic 2
 * makes in its default (lax) mode, which Pixano 0.8's importer relies on for `attrs`: `"3"`,
 * `" 3 "`, `"1_000"`, `"3.0"`, `3.0` and `true` are the int 3, 3, 1000, 3, 3 and 1; `"0.25"`,
 * `"1e3"`, `2` and `true` are floats; `"yes"`, `"off"`, `1`, `0.0` are booleans. Measured on
 * pydantic 2.14 (fixtures/pixano-built/reference/verdicts.json, case `lax_scalars`). Strings are
 * never made from numbers. Not followed: `"nan"`/`"inf"` (Tessera columns hold finite floats).
 */
/** A failed conversion carries pydantic's error type (`int_parsing`, `bool_type`, …) as its code. */
export type Converted<T> = { ok: true; value: T } | { ok: false; code: IssueCode; message: string };

const INT_TEXT = /^[+-]?\d+(?:_\d+)*(?:\.0+)?$/;
const FLOAT_TEXT = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const TRUE_TEXT = new Set(["true", "t", "yes", "y", "on", "1"]);
const FALSE_TEXT = new Set(["false", "f", "no", "n", "off", "0"]);

/** An integer in int64, canonical (S-INT64: a number when a double holds it, else a bigint). */
function int64Of(v: bigint | number): Converted<number | bigint> {
  const r = toInt64(v);
  return r === null
    ? { ok: false, code: "int_range", message: `${v} does not fit a 64-bit integer` }
    : { ok: true, value: r };
}

export function laxInt(v: unknown): Converted<number | bigint> {
  if (typeof v === "bigint") return int64Of(v);
  if (typeof v === "boolean") return { ok: true, value: v ? 1 : 0 };
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return { ok: false, code: "int_type", message: "must be an integer" };
    if (!Number.isInteger(v))
      return {
        ok: false,
        code: "int_from_float",
        message: "must be an integer, got a number with a fractional part",
      };
    return int64Of(v);
  }
  if (typeof v === "string") {
    const t = v.trim(); // pydantic trims whitespace around numbers, not around booleans
    if (!INT_TEXT.test(t))
      return { ok: false, code: "int_parsing", message: `must be an integer, got ${JSON.stringify(v)}` };
    return int64Of(BigInt(t.replace(/_/g, "").replace(/\.0+$/, "")));
  }
  return { ok: false, code: "int_type", message: "must be an integer" };
}

export function laxFloat(v: unknown): Converted<number> {
  if (typeof v === "bigint") return { ok: true, value: Number(v) }; // Python's float(int): nearest double
  if (typeof v === "boolean") return { ok: true, value: v ? 1 : 0 };
  if (typeof v === "number")
    return Number.isFinite(v)
      ? { ok: true, value: v }
      : { ok: false, code: "float_type", message: "must be a finite number" };
  if (typeof v === "string") {
    const t = v.trim(); // pydantic trims whitespace around numbers, not around booleans
    const n = FLOAT_TEXT.test(t) ? Number(t.replace(/_/g, "")) : NaN;
    return Number.isFinite(n)
      ? { ok: true, value: n }
      : { ok: false, code: "float_parsing", message: `must be a finite number, got ${JSON.stringify(v)}` };
  }
  return { ok: false, code: "float_type", message: "must be a finite number" };
}

export function laxBool(v: unknown): Converted<boolean> {
  if (typeof v === "boolean") return { ok: true, value: v };
  if (v === 1 || v === 1n) return { ok: true, value: true };
  if (v === 0 || v === 0n) return { ok: true, value: false };
  if (typeof v === "string") {
    const t = v.toLowerCase();
    if (TRUE_TEXT.has(t)) return { ok: true, value: true };
    if (FALSE_TEXT.has(t)) return { ok: true, value: false };
  }
  return typeof v === "string"
    ? { ok: false, code: "bool_parsing", message: `must be a boolean, got ${JSON.stringify(v)}` }
    : { ok: false, code: "bool_type", message: `must be a boolean, got ${typeof v}` };
}

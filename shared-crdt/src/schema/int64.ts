/**
 * How an `int64` cell is held in JS (S-INT64). Pixano stores Python ints in Arrow int64 columns and
 * serves them exactly (9223372036854775807 stays 9223372036854775807), so Tessera keeps the full
 * range: an int64 value is a `number` when it is a safe integer (|v| ≤ 2^53 − 1) and a `bigint`
 * otherwise. Every path that produces a value (Arrow decode, request JSON, validation) gives this
 * canonical form, so two equal values are always `===`.
 */

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** The canonical form of an integer known to be in the int64 range. */
export function canonicalInt64(v: bigint | number): number | bigint {
  if (typeof v === "number") return Number.isSafeInteger(v) ? v : BigInt(v);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * The canonical int64 of a cell value, or null when it is not an integer in the int64 range.
 * An integral float (`1.0`, `1e3`) is accepted as Pixano's pydantic `int` accepts it.
 */
export function toInt64(v: unknown): number | bigint | null {
  if (typeof v === "bigint") return v >= INT64_MIN && v <= INT64_MAX ? canonicalInt64(v) : null;
  if (typeof v !== "number" || !Number.isInteger(v)) return null;
  if (Number.isSafeInteger(v)) return v;
  const big = BigInt(v);
  return big >= INT64_MIN && big <= INT64_MAX ? big : null;
}

/** Parses a decimal integer literal (`-12`, `+9223372036854775807`) exactly; null when it is not one or is out of range. */
export function parseInt64Text(text: string): number | bigint | null {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) return null;
  return toInt64(BigInt(t.startsWith("+") ? t.slice(1) : t));
}

/** An int64 (or other) cell as a plain number, for range checks in table rules; bigints lose precision only. */
export function approxNumber(v: unknown): unknown {
  return typeof v === "bigint" ? Number(v) : v;
}

/** An int64 cell as a plain number (frame numbers, counts, ranges); a bigint beyond 2^53 loses precision only. */
export function int64Number(v: number | bigint): number {
  return typeof v === "bigint" ? Number(v) : v;
}

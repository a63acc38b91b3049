import { ImportError, pointerJoin, type SourceLocation } from "../errors.js";
import { isPlainObject } from "../jsonl.js";
import { laxBool, laxFloat, laxInt } from "../laxScalars.js";

/**
 * Grammar helpers for JSONL v2 and `dataset.yaml`: every failure is an {@link ImportError} at
 * `file:line:json-pointer`, with a did-you-mean for unknown keys. Keys are strict; scalar values
 * convert as in Pixano's pydantic models (lax mode: `"0.5"` for a float, `"3"` for an int, `"yes"`
 * for a bool; never a number for a string), so the same lines are accepted.
 */
export class Checker {
  constructor(
    readonly file: string,
    readonly line?: number,
  ) {}

  at(pointer: string): SourceLocation {
    return this.line === undefined ? { file: this.file, pointer } : { file: this.file, line: this.line, pointer };
  }

  fail(
    pointer: string,
    message: string,
    reason: ConstructorParameters<typeof ImportError>[0] = "invalid_value",
  ): never {
    throw new ImportError(reason, message, this.at(pointer));
  }

  object(v: unknown, pointer: string, allowed?: readonly string[]): Record<string, unknown> {
    if (!isPlainObject(v)) this.fail(pointer, `expected an object, got ${kindOf(v)}`);
    if (allowed) {
      for (const k of Object.keys(v)) {
        if (!allowed.includes(k)) {
          const hint = suggest(k, allowed);
          this.fail(
            pointerJoin(pointer, k),
            `unknown key "${k}"${hint ? `; did you mean "${hint}"?` : ""} (allowed: ${allowed.join(", ")})`,
            "unknown_key",
          );
        }
      }
    }
    return v;
  }

  array(v: unknown, pointer: string): unknown[] {
    if (!Array.isArray(v)) this.fail(pointer, `expected a list, got ${kindOf(v)}`);
    return v;
  }

  string(v: unknown, pointer: string): string {
    if (typeof v !== "string") this.fail(pointer, `expected a string, got ${kindOf(v)}`);
    return v;
  }

  /** A float, converted as Pixano's grammar models (pydantic, lax) do: `2`, `"0.5"`, `true`. */
  number(v: unknown, pointer: string): number {
    const r = laxFloat(v);
    if (!r.ok) this.fail(pointer, `expected a number, got ${kindOf(v)}`);
    return r.value;
  }

  /** An integer used in arithmetic (frame indexes, view sizes): within ±(2^53−1); `"3"`, `3.0`, `true` convert. */
  int(v: unknown, pointer: string): number {
    const r = laxInt(v);
    if (!r.ok) this.fail(pointer, `expected an integer, got ${kindOf(v)}`);
    if (typeof r.value === "bigint")
      this.fail(pointer, `integers beyond ±(2^53−1) are not supported here, got ${r.value}`);
    return r.value;
  }

  /** An integer stored as is in an int64 column: exact, `bigint` beyond ±(2^53−1), within int64. */
  int64(v: unknown, pointer: string): number | bigint {
    const r = laxInt(v);
    if (!r.ok)
      this.fail(
        pointer,
        typeof v === "bigint" || typeof v === "number" ? r.message : `expected an integer, got ${kindOf(v)}`,
      );
    return r.value;
  }

  /** A boolean; `"yes"`, `"off"`, `1`, `0` convert as in pydantic's lax mode. */
  bool(v: unknown, pointer: string): boolean {
    const r = laxBool(v);
    if (!r.ok) this.fail(pointer, `expected true or false, got ${kindOf(v)}`);
    return r.value;
  }

  oneOf<T extends string>(v: unknown, pointer: string, allowed: readonly T[]): T {
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
      this.fail(
        pointer,
        `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(v)}`,
      );
    }
    return v as T;
  }

  numbers(v: unknown, pointer: string): number[] {
    return this.array(v, pointer).map((x, i) => this.number(x, pointerJoin(pointer, i)));
  }

  ints(v: unknown, pointer: string): number[] {
    return this.array(v, pointer).map((x, i) => this.int(x, pointerJoin(pointer, i)));
  }

  int64s(v: unknown, pointer: string): Array<number | bigint> {
    return this.array(v, pointer).map((x, i) => this.int64(x, pointerJoin(pointer, i)));
  }

  strings(v: unknown, pointer: string): string[] {
    return this.array(v, pointer).map((x, i) => this.string(x, pointerJoin(pointer, i)));
  }

  optString(o: Record<string, unknown>, key: string, pointer: string): string | undefined {
    const v = o[key];
    return v === undefined || v === null ? undefined : this.string(v, pointerJoin(pointer, key));
  }

  optInt(o: Record<string, unknown>, key: string, pointer: string): number | undefined {
    const v = o[key];
    return v === undefined || v === null ? undefined : this.int(v, pointerJoin(pointer, key));
  }

  optNumber(o: Record<string, unknown>, key: string, pointer: string): number | undefined {
    const v = o[key];
    return v === undefined || v === null ? undefined : this.number(v, pointerJoin(pointer, key));
  }

  optBool(o: Record<string, unknown>, key: string, pointer: string): boolean | undefined {
    const v = o[key];
    return v === undefined || v === null ? undefined : this.bool(v, pointerJoin(pointer, key));
  }
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "bigint") return `integer ${v}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

function distance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** The closest allowed word, if it is close enough to be a typo. */
export function suggest(word: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const dd = distance(word.toLowerCase(), a.toLowerCase());
    if (dd < bestD) {
      bestD = dd;
      best = a;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

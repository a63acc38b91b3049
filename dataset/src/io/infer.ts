import type { schema } from "@tessera/shared-crdt";
import { ImportError, type SourceLocation } from "./errors.js";

type FieldPayload = schema.FieldPayload;

/**
 * Type inference for the custom fields a v1 `metadata.jsonl` carries (record fields such as
 * `weather`, entity fields such as `category`). Pixano 0.7 needed a hand-written Python class for
 * them; we infer `str | int | float | bool | list[...]` from the values, widen int to float, and
 * refuse contradictory values with the location of both, rather than dropping anything.
 */
type ScalarName = "str" | "int" | "float" | "bool";

export interface InferredField {
  readonly name: string;
  /** `null` while only `null` / empty lists were seen. */
  scalar: ScalarName | null;
  collection: boolean;
  /** Where the type was first established (for conflict messages). */
  readonly firstSeen: SourceLocation;
  /** How many values were seen (rows carrying the field). */
  count: number;
}

function scalarOf(v: unknown): ScalarName | "object" | null {
  if (v === null) return null;
  switch (typeof v) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(v) ? "int" : "float";
    case "bigint": // an integer literal beyond 2^53, read exactly (S-INT64)
      return "int";
    default:
      return "object";
  }
}

function merge(a: ScalarName | null, b: ScalarName | null): ScalarName | null | "conflict" {
  if (a === null) return b;
  if (b === null || a === b) return a;
  if ((a === "int" && b === "float") || (a === "float" && b === "int")) return "float";
  return "conflict";
}

function describe(f: { scalar: ScalarName | null; collection: boolean }): string {
  const s = f.scalar ?? "unknown";
  return f.collection ? `list[${s}]` : s;
}

/** Infers the custom fields of one table from the values seen, in first-seen order. */
export class FieldInference {
  private readonly fields = new Map<string, InferredField>();

  constructor(readonly table: string) {}

  /** Records one value of `name` found at `loc`; throws {@link ImportError} on a type conflict. */
  observe(name: string, value: unknown, loc: SourceLocation): void {
    if (value === undefined) return;
    let scalar: ScalarName | null;
    let collection = false;
    if (Array.isArray(value)) {
      collection = true;
      scalar = null;
      for (const item of value) {
        const s = scalarOf(item);
        if (s === "object" || (s === null && item === null)) {
          throw new ImportError(
            "invalid_value",
            `${this.table} field "${name}": lists may only hold strings, numbers or booleans`,
            loc,
          );
        }
        const m = merge(scalar, s);
        if (m === "conflict") {
          throw new ImportError(
            "type_conflict",
            `${this.table} field "${name}": a list mixes ${scalar} and ${s} values`,
            loc,
          );
        }
        scalar = m;
      }
    } else {
      const s = scalarOf(value);
      if (s === "object") {
        throw new ImportError(
          "invalid_value",
          `${this.table} field "${name}": nested objects cannot be stored in a column; flatten it or store it as a JSON string`,
          loc,
        );
      }
      scalar = s;
    }
    const known = this.fields.get(name);
    if (!known) {
      this.fields.set(name, { name, scalar, collection, firstSeen: loc, count: 1 });
      return;
    }
    known.count++;
    const sameShape = known.collection === collection || (value === null && !collection);
    const m = sameShape ? merge(known.scalar, scalar) : "conflict";
    if (m === "conflict") {
      const first = known.firstSeen;
      const where = `${first.file}${first.line !== undefined ? `:${first.line}` : ""}`;
      throw new ImportError(
        "type_conflict",
        `${this.table} field "${name}" is ${describe({ scalar, collection })} here but ${describe(known)} at ${where}`,
        loc,
      );
    }
    known.scalar = m;
  }

  get size(): number {
    return this.fields.size;
  }

  list(): InferredField[] {
    return [...this.fields.values()];
  }

  /** Manifest payloads (`{"collection","type","required":false,"default"}`); unknown types become `str`. */
  payloads(): Record<string, FieldPayload> {
    const out: Record<string, FieldPayload> = {};
    for (const f of this.fields.values()) out[f.name] = payloadOf(f.scalar ?? "str", f.collection);
    return out;
  }
}

const ZERO: Record<ScalarName, unknown> = { str: "", int: 0, float: 0, bool: false };

/** A non-required manifest field with Pixano's zero default (`""`, `0`, `0.0`, `false`, `[]`). */
function payloadOf(type: ScalarName, collection: boolean): FieldPayload {
  return { collection, type, required: false, default: collection ? [] : ZERO[type] };
}

export function describeField(f: InferredField): string {
  return describe({ scalar: f.scalar ?? "str", collection: f.collection });
}

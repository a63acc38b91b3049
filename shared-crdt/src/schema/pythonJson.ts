/**
 * JSON text as Python's `json` module writes it, for the documents Pixano writes with it
 * (`info.json`, REST answers). JS numbers have no int/float distinction, so a float that happens to
 * be integral (`0.0`) is marked with {@link PyFloat}; `bigint` is an int written digit for digit.
 */

/** A float value: printed with Python's `repr` (`0.0`, `1e-05`, `1e+16`), never as an int. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/**
 * Python's `repr(float)`: the shortest digits that round-trip (as JS), in positional notation when
 * the decimal exponent is in [-4, 16), else scientific with a signed two-digit-minimum exponent.
 * Non-finite values give `NaN` / `Infinity` / `-Infinity` as `json.dumps` does.
 */
export function pythonFloatRepr(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(v);
  if (abs >= 1e-4 && abs < 1e16) {
    // Positional in both languages here, with the same shortest round-trip digits.
    const text = String(v);
    return Number.isInteger(v) ? `${text}.0` : text;
  }
  const [mantissa = "", expText = "0"] = v.toExponential().split("e");
  const exp = Number(expText);
  const sign = mantissa.startsWith("-") ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const whole = digits.padEnd(exp + 1, "0");
  return `${sign}${whole.slice(0, exp + 1)}.${whole.slice(exp + 1) || "0"}`;
}

export interface PythonJsonOptions {
  /** `json.dumps(indent=…)`; undefined writes compactly. */
  readonly indent?: number;
  /** `ensure_ascii=True`: every character outside ' '..'~' as `\uXXXX`. */
  readonly ensureAscii?: boolean;
  /** Item and key separators when not indented: `(",", ":")` by default (FastAPI's). */
  readonly compactSeparators?: readonly [string, string];
}

function stringText(s: string, ensureAscii: boolean): string {
  const json = JSON.stringify(s);
  return ensureAscii
    ? json.replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`)
    : json;
}

const CONTAINER = Symbol("container");

/** Text of a scalar, `undefined` for what JSON skips, or {@link CONTAINER} for arrays and objects. */
function scalarText(v: unknown, ensureAscii: boolean): string | undefined | typeof CONTAINER {
  if (v instanceof PyFloat) return Number.isFinite(v.value) ? pythonFloatRepr(v.value) : "null";
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return stringText(v, ensureAscii);
    case "number":
      return Number.isFinite(v) ? JSON.stringify(v) : "null";
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return v.toString();
    case "object":
      return CONTAINER;
    default:
      return undefined;
  }
}

/** `toJSON()` applied, as `JSON.stringify` does. */
function resolved(v: unknown): unknown {
  const withJson = v as { toJSON?: () => unknown } | null;
  return withJson !== null && typeof withJson === "object" && typeof withJson.toJSON === "function"
    ? withJson.toJSON()
    : v;
}

interface Frame {
  /** The array, or the object whose `keys` are walked. */
  readonly source: unknown;
  readonly keys: readonly string[] | null;
  /** This container's member name in its parent (null in an array or at the root). */
  readonly key: string | null;
  readonly parts: string[];
  readonly depth: number;
  next: number;
}

/**
 * Writes `value` as Python's `json.dumps` would write the same Python value: {@link PyFloat} as a
 * float, `bigint` as an int, a non-finite number as `null` (as `JSON.stringify`; Python's `NaN`
 * is not JSON and could not be read back), `undefined` members and functions skipped, `undefined`
 * in arrays as `null`, `toJSON()` honoured. Iterative: any nesting depth a parser accepted can be
 * written back (a 422 echoes the request body).
 */
export function writePythonJson(value: unknown, options: PythonJsonOptions = {}): string {
  const ensureAscii = options.ensureAscii ?? false;
  const [itemSep, keySep] = options.indent === undefined ? (options.compactSeparators ?? [",", ":"]) : [",", ": "];
  const pad = options.indent === undefined ? null : " ".repeat(options.indent);
  const frameOf = (v: object, key: string | null, depth: number): Frame => ({
    source: v,
    keys: Array.isArray(v) ? null : Object.keys(v),
    key,
    parts: [],
    depth,
    next: 0,
  });
  const closed = (f: Frame): string => {
    const [l, r] = f.keys === null ? ["[", "]"] : ["{", "}"];
    if (f.parts.length === 0) return `${l}${r}`;
    if (pad === null) return `${l}${f.parts.join(itemSep)}${r}`;
    const inner = `\n${pad.repeat(f.depth + 1)}`;
    return `${l}${inner}${f.parts.join(`${itemSep}${inner}`)}\n${pad.repeat(f.depth)}${r}`;
  };
  const emit = (f: Frame, key: string | null, text: string | undefined): void => {
    if (f.keys === null) f.parts.push(text ?? "null");
    else if (text !== undefined) f.parts.push(`${stringText(key ?? "", ensureAscii)}${keySep}${text}`);
  };

  const root = resolved(value);
  const rootText = scalarText(root, ensureAscii);
  if (rootText !== CONTAINER) return rootText ?? "null";
  const stack: Frame[] = [frameOf(root as object, null, 0)];
  for (;;) {
    const f = stack[stack.length - 1]!;
    const i = f.next++;
    const length = f.keys === null ? (f.source as unknown[]).length : f.keys.length;
    if (i < length) {
      const key = f.keys === null ? null : f.keys[i]!;
      const v = resolved(key === null ? (f.source as unknown[])[i] : (f.source as Record<string, unknown>)[key]);
      const text = scalarText(v, ensureAscii);
      if (text === CONTAINER) stack.push(frameOf(v as object, key, f.depth + 1));
      else emit(f, key, text);
      continue;
    }
    stack.pop();
    const parent = stack[stack.length - 1];
    if (!parent) return closed(f);
    emit(parent, f.key, closed(f));
  }
}

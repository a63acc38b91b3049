import { canonicalInt64 } from "./int64.js";

/**
 * JSON text → value, like `JSON.parse`, except that an integer literal a double cannot hold exactly
 * (|v| > 2^53 − 1) becomes a `bigint` (S-INT64). Pixano's Python parser keeps
 * `9223372036854775807` exact; `JSON.parse` would round it to 9223372036854775808.
 *
 * Text without a run of 16 digits cannot hold such a literal (2^53 − 1 has 16 digits) and goes
 * straight to `JSON.parse`. Otherwise a small non-recursive parser walks the structure: string
 * literals are decoded by `JSON.parse` itself (exact escape rules), numbers with a fraction or an
 * exponent are doubles as usual. Invalid text throws the `SyntaxError` that `JSON.parse` throws.
 */

const MIGHT_HOLD_BIG_INT = /\d{16}/;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

export function parseJsonExact(text: string): unknown {
  if (!MIGHT_HOLD_BIG_INT.test(text)) return JSON.parse(text);
  return new ExactParser(text).parse();
}

type Frame = { readonly array: unknown[] } | { readonly object: Record<string, unknown>; key: string };

class Invalid extends Error {}

class ExactParser {
  private i = 0;

  constructor(private readonly text: string) {}

  parse(): unknown {
    try {
      return this.document();
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      JSON.parse(this.text); // throws the engine's own message for this text
      throw new SyntaxError(`Invalid JSON at position ${this.i}`);
    }
  }

  private document(): unknown {
    const stack: Frame[] = [];
    for (;;) {
      let value = this.valueOrOpen(stack);
      if (value === OPENED) continue;
      // A complete value: hand it to its container, closing containers that end here.
      for (;;) {
        const top = stack[stack.length - 1];
        if (!top) {
          this.ws();
          if (this.i !== this.text.length) throw new Invalid();
          return value;
        }
        if ("array" in top) top.array.push(value);
        else setKey(top.object, top.key, value);
        this.ws();
        const ch = this.text[this.i++];
        if (ch === ",") {
          if ("object" in top) top.key = this.key();
          break;
        }
        if (ch === ("array" in top ? "]" : "}")) {
          stack.pop();
          value = "array" in top ? top.array : top.object;
          continue;
        }
        throw new Invalid();
      }
    }
  }

  /** Reads a scalar or an empty container, or opens a container (pushed on `stack`). */
  private valueOrOpen(stack: Frame[]): unknown {
    this.ws();
    const ch = this.text[this.i];
    if (ch === "{") {
      this.i++;
      this.ws();
      if (this.text[this.i] === "}") {
        this.i++;
        return {};
      }
      stack.push({ object: {}, key: this.key() });
      return OPENED;
    }
    if (ch === "[") {
      this.i++;
      this.ws();
      if (this.text[this.i] === "]") {
        this.i++;
        return [];
      }
      stack.push({ array: [] });
      return OPENED;
    }
    if (ch === '"') return this.string();
    if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) return this.number();
    for (const [word, v] of LITERALS) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    throw new Invalid();
  }

  /** `"key" :` of an object member. */
  private key(): string {
    this.ws();
    if (this.text[this.i] !== '"') throw new Invalid();
    const k = this.string();
    this.ws();
    if (this.text[this.i++] !== ":") throw new Invalid();
    return k;
  }

  private string(): string {
    const start = this.i;
    let j = start + 1;
    let plain = true; // no escape and no raw control character: the text between the quotes is the value
    for (;;) {
      const c = this.text.charCodeAt(j);
      if (Number.isNaN(c)) throw new Invalid();
      if (c === 0x22) break;
      if (c === 0x5c) {
        plain = false;
        j += 2;
        continue;
      }
      if (c < 0x20) plain = false;
      j++;
    }
    this.i = j + 1;
    if (plain) return this.text.slice(start + 1, j);
    try {
      return JSON.parse(this.text.slice(start, j + 1)) as string;
    } catch {
      throw new Invalid(); // bad escape or raw control character: reported by the engine in parse()
    }
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.text);
    if (!m) throw new Invalid();
    this.i += m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) return Number(m[0]);
    return m[0].length <= 15 ? Number(m[0]) : canonicalInt64(BigInt(m[0]));
  }

  private ws(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.i++;
    }
  }
}

const OPENED = Symbol("opened");
const LITERALS: ReadonlyArray<readonly [string, unknown]> = [
  ["true", true],
  ["false", false],
  ["null", null],
];

/** Own data property, as `JSON.parse` makes it (a `__proto__` key must not set the prototype). */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__")
    Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

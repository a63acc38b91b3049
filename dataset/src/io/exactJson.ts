/**
 * Exact JSON for the import/export of int64 values. Reading: JSON text → value, like `JSON.parse` except that an integer literal outside ±(2^53−1) becomes a
 * `bigint` holding it exactly (Python's `json.loads`, which Pixano uses, keeps every integer exact;
 * `JSON.parse` would round 9007199254740993 to …992). Numbers with a fraction or an exponent stay
 * doubles, as in Python. Lines without a long digit run take the native `JSON.parse` path, so the
 * cost is only paid where a big integer can occur.
 */

/**
 * A value starting with 16+ digits (at the start, or after `:`, `[` or `,`): only such texts can hold an integer
 * beyond 2^53−1 (16 digits). A match inside a string (RLE counts hold long digit runs, but not
 * after those characters as a rule) only costs the slower exact parse, never a wrong value.
 */
const LONG_DIGITS = /(?:^|[:[,])\s*-?\d{16}/;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

class Parser {
  private at = 0;

  constructor(private readonly text: string) {}

  parse(): unknown {
    const v = this.value();
    this.ws();
    if (this.at < this.text.length) this.fail(`Unexpected non-whitespace character after JSON at position ${this.at}`);
    return v;
  }

  private fail(message: string): never {
    throw new SyntaxError(message);
  }

  private ws(): void {
    while (this.at < this.text.length && WS.has(this.text.charCodeAt(this.at))) this.at++;
  }

  private value(): unknown {
    this.ws();
    const c = this.text[this.at];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? "Unexpected end of JSON input" : `Unexpected token '${c}' at position ${this.at}`);
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.at;
    const m = NUMBER.exec(this.text);
    if (!m) return this.fail(`No number after minus sign at position ${this.at}`);
    this.at += m[0].length;
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) return BigInt(m[0]);
    return n;
  }

  private string(): string {
    const start = this.at;
    this.at++;
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (Number.isNaN(c)) this.fail(`Unterminated string in JSON at position ${this.at}`);
      if (c === 0x5c) this.at += 2;
      else if (c === 0x22) break;
      else this.at++;
    }
    this.at++;
    // The token is a complete JSON string: the native parser decodes its escapes (and refuses
    // raw control characters) exactly as it would inside a whole document.
    return JSON.parse(this.text.slice(start, this.at)) as string;
  }

  private array(): unknown[] {
    this.at++;
    const out: unknown[] = [];
    this.ws();
    if (this.text[this.at] === "]") {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.text[this.at++];
      if (c === "]") return out;
      if (c !== ",") this.fail(`Expected ',' or ']' after array element in JSON at position ${this.at - 1}`);
    }
  }

  private object(): Record<string, unknown> {
    this.at++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.text[this.at] === "}") {
      this.at++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text[this.at] !== '"') this.fail(`Expected double-quoted property name in JSON at position ${this.at}`);
      const key = this.string();
      this.ws();
      if (this.text[this.at++] !== ":") this.fail(`Expected ':' after property name in JSON at position ${this.at - 1}`);
      // An own data property even for "__proto__", as JSON.parse makes it (never the prototype).
      Object.defineProperty(out, key, { value: this.value(), writable: true, enumerable: true, configurable: true });
      this.ws();
      const c = this.text[this.at++];
      if (c === "}") return out;
      if (c !== ",") this.fail(`Expected ',' or '}' after property value in JSON at position ${this.at - 1}`);
    }
  }
}

/** `JSON.parse(text)` with integers beyond ±(2^53−1) kept exactly as `bigint`. Throws `SyntaxError`. */
export function parseJsonExact(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  try {
    return new Parser(text).parse();
  } catch (err) {
    if (err instanceof RangeError) throw new SyntaxError("JSON nested too deeply");
    throw err;
  }
}

/**
 * `JSON.stringify(value)` that writes a `bigint` as its exact digits (a JSON integer, as Python's
 * json writes big ints) instead of throwing. Values without a bigint take the native path.
 */
export function stringifyJsonExact(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError) || !/BigInt/i.test(err.message)) throw err;
    return exact(value) ?? "null";
  }
}

/** The JSON text of a value (`undefined` where JSON.stringify leaves a key out). */
function exact(value: unknown): string | undefined {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map((v) => exact(v) ?? "null").join(",")}]`;
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON !== "function") {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const text = exact(v);
      if (text !== undefined) parts.push(`${JSON.stringify(k)}:${text}`);
    }
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(value) as string | undefined;
}

/**
 * Where a JSON text stops being JSON, found by walking the grammar (RFC 8259) ourselves — not by
 * reading a position out of the engine's English error message, whose wording differs between
 * engines and versions. The answer is Python's `json.JSONDecodeError` (`msg`, `pos`), which is
 * what FastAPI puts in its `json_invalid` 422 (`loc: ["body", pos]`, `ctx.error: msg`).
 *
 * The walk keeps its own stack of open containers, so a deeply nested body cannot exhaust the
 * call stack.
 */

export interface JsonSyntaxError {
  /** Python's message, e.g. `Expecting ',' delimiter`. */
  readonly msg: string;
  /** The 0-based character index Python reports. */
  readonly pos: number;
}

const WS = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

class Stop {
  constructor(readonly error: JsonSyntaxError) {}
}

function fail(msg: string, pos: number): never {
  throw new Stop({ msg, pos });
}

class Walker {
  private i = 0;
  /** Open containers, innermost last: `[` or `{`. */
  private readonly open: ("[" | "{")[] = [];

  constructor(private readonly s: string) {}

  private ws(): void {
    while (this.i < this.s.length && WS.has(this.s.charAt(this.i))) this.i++;
  }

  private string(): void {
    const start = this.i;
    this.i++; // opening quote
    for (;;) {
      if (this.i >= this.s.length) fail("Unterminated string starting at", start);
      const c = this.s.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return;
      }
      if (c < 0x20) fail("Invalid control character at", this.i);
      if (c === 0x5c) {
        const e = this.s.charAt(this.i + 1);
        if (e === "") fail("Unterminated string starting at", start);
        if (e === "u") {
          if (!HEX4.test(this.s.slice(this.i + 2, this.i + 6))) fail("Invalid \\uXXXX escape", this.i + 1);
          this.i += 6;
          continue;
        }
        if (!ESCAPES.has(e)) fail("Invalid \\escape", this.i);
        this.i += 2;
        continue;
      }
      this.i++;
    }
  }

  /** A scalar, or the opening of a container (pushed on the stack). Returns true when a container opened. */
  private valueOrOpen(): boolean {
    const c = this.s.charAt(this.i);
    if (c === "[" || c === "{") {
      this.open.push(c);
      this.i++;
      return true;
    }
    if (c === '"') {
      this.string();
      return false;
    }
    for (const word of ["true", "false", "null"]) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return false;
      }
    }
    NUMBER.lastIndex = this.i;
    if (NUMBER.exec(this.s)) {
      this.i = NUMBER.lastIndex;
      return false;
    }
    fail("Expecting value", this.i);
  }

  private key(): void {
    if (this.s.charAt(this.i) !== '"') fail("Expecting property name enclosed in double quotes", this.i);
    this.string();
    this.ws();
    if (this.s.charAt(this.i) !== ":") fail("Expecting ':' delimiter", this.i);
    this.i++;
    this.ws();
  }

  /** Walks the whole text; throws {@link Stop} at the first place it is not JSON. */
  walk(): void {
    this.ws();
    for (;;) {
      if (this.valueOrOpen()) {
        // Just opened: an empty container, or its first member.
        const kind = this.open[this.open.length - 1];
        this.ws();
        if ((kind === "[" && this.s.charAt(this.i) === "]") || (kind === "{" && this.s.charAt(this.i) === "}")) {
          this.i++;
          this.open.pop();
        } else {
          if (kind === "{") this.key();
          continue;
        }
      }
      // A complete value: close what ends here, or move to the next member.
      for (;;) {
        const top = this.open[this.open.length - 1];
        this.ws();
        if (top === undefined) {
          if (this.i !== this.s.length) fail("Extra data", this.i);
          return;
        }
        const c = this.s.charAt(this.i);
        if ((top === "[" && c === "]") || (top === "{" && c === "}")) {
          this.i++;
          this.open.pop();
          continue;
        }
        if (c !== ",") fail("Expecting ',' delimiter", this.i);
        this.i++;
        this.ws();
        if (top === "{") this.key();
        break;
      }
    }
  }
}

/** The first syntax error in `text`, or `null` when `text` is one well-formed JSON document. */
export function locateJsonSyntaxError(text: string): JsonSyntaxError | null {
  try {
    new Walker(text).walk();
    return null;
  } catch (err) {
    if (err instanceof Stop) return err.error;
    throw err;
  }
}

import type { Filter, FilterOp } from "@tessera/shared-crdt";
import { badRequest } from "./errors.js";

/**
 * Pixano's deprecated raw `where` parameter, without raw SQL: the simple forms clients actually
 * send — `col = 'x'`, `col = 3`, `a = 'x' AND b > 2`, `col IN ('a','b')`, `col NOT IN (…)` — are
 * parsed into the structured filter grammar; anything else is refused. Nothing from `where` is
 * ever handed to LanceDB as text.
 */

type Token =
  | { kind: "ident"; text: string }
  | { kind: "string"; text: string }
  | { kind: "number"; text: string }
  | { kind: "op"; text: string }
  | { kind: "punct"; text: "(" | ")" | "," };

const KEYWORDS = new Set(["AND", "IN", "NOT", "TRUE", "FALSE"]);
const COMPARATORS: Readonly<Record<string, FilterOp>> = {
  "=": "eq",
  "==": "eq",
  "!=": "ne",
  "<>": "ne",
  "<": "lt",
  "<=": "lte",
  ">": "gt",
  ">=": "gte",
};

export class WhereSyntaxError extends Error {
  override name = "WhereSyntaxError";
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'") {
      let text = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new WhereSyntaxError("unterminated string literal");
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += src[i];
        i++;
      }
      out.push({ kind: "string", text });
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ kind: "ident", text: m[0] });
      i += m[0].length;
    } else if (ch === '"' || ch === "`") {
      const end = src.indexOf(ch, i + 1);
      const name = end < 0 ? "" : src.slice(i + 1, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new WhereSyntaxError("invalid quoted identifier");
      out.push({ kind: "ident", text: name });
      i = end + 1;
    } else if (/[-+\d.]/.test(ch)) {
      const m = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(src.slice(i));
      if (!m) throw new WhereSyntaxError(`unexpected ${JSON.stringify(ch)}`);
      out.push({ kind: "number", text: m[0] });
      i += m[0].length;
    } else if ("=!<>".includes(ch)) {
      const two = src.slice(i, i + 2);
      const op = ["==", "!=", "<>", "<=", ">="].includes(two) ? two : ch;
      if (!(op in COMPARATORS)) throw new WhereSyntaxError(`unexpected ${JSON.stringify(op)}`);
      out.push({ kind: "op", text: op });
      i += op.length;
    } else if (ch === "(" || ch === ")" || ch === ",") {
      out.push({ kind: "punct", text: ch });
      i++;
    } else {
      throw new WhereSyntaxError(`unexpected ${JSON.stringify(ch)}`);
    }
  }
  return out;
}

class Parser {
  private pos = 0;
  readonly filters: Filter[] = [];

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new WhereSyntaxError("unexpected end of clause");
    return t;
  }

  private isKeyword(t: Token | undefined, kw: string): boolean {
    return t?.kind === "ident" && t.text.toUpperCase() === kw;
  }

  private expectPunct(p: "(" | ")" | ","): void {
    const t = this.next();
    if (t.kind !== "punct" || t.text !== p) throw new WhereSyntaxError(`expected ${JSON.stringify(p)}`);
  }

  parseAll(): Filter[] {
    this.expr();
    if (this.pos !== this.tokens.length) throw new WhereSyntaxError(`unexpected ${JSON.stringify(this.peek()?.text)}`);
    return this.filters;
  }

  private expr(): void {
    this.term();
    while (this.isKeyword(this.peek(), "AND")) {
      this.pos++;
      this.term();
    }
  }

  private term(): void {
    const t = this.peek();
    if (t?.kind === "punct" && t.text === "(") {
      this.pos++;
      this.expr();
      this.expectPunct(")");
      return;
    }
    this.condition();
  }

  private literal(): string {
    const t = this.next();
    if (t.kind === "string" || t.kind === "number") return t.text;
    if (t.kind === "ident" && (t.text.toUpperCase() === "TRUE" || t.text.toUpperCase() === "FALSE"))
      return t.text.toLowerCase();
    throw new WhereSyntaxError(`expected a literal, got ${JSON.stringify(t.text)}`);
  }

  private condition(): void {
    const col = this.next();
    if (col.kind !== "ident" || KEYWORDS.has(col.text.toUpperCase()))
      throw new WhereSyntaxError(`expected a column name, got ${JSON.stringify(col.text)}`);
    let negate = false;
    if (this.isKeyword(this.peek(), "NOT")) {
      this.pos++;
      negate = true;
      if (!this.isKeyword(this.peek(), "IN")) throw new WhereSyntaxError("NOT is only supported in NOT IN");
    }
    if (this.isKeyword(this.peek(), "IN")) {
      this.pos++;
      this.expectPunct("(");
      const values = [this.literal()];
      while (this.peek()?.kind === "punct" && this.peek()?.text === ",") {
        this.pos++;
        values.push(this.literal());
      }
      this.expectPunct(")");
      this.filters.push({ column: col.text, op: negate ? "nin" : "in", values });
      return;
    }
    const op = this.next();
    if (op.kind !== "op") throw new WhereSyntaxError(`expected a comparison after ${col.text}`);
    this.filters.push({ column: col.text, op: COMPARATORS[op.text] as FilterOp, values: [this.literal()] });
  }
}

/** Parses a simple `where` clause; throws {@link WhereSyntaxError} for anything else. */
export function parseWhereClause(where: string): Filter[] {
  return new Parser(tokenize(where)).parseAll();
}

/** {@link parseWhereClause} for a request parameter: failures are a 400 that points to `filter=`. */
export function whereToFilters(where: string | undefined): Filter[] {
  if (where === undefined || where.trim() === "") return [];
  try {
    return parseWhereClause(where);
  } catch (err) {
    if (err instanceof WhereSyntaxError) {
      throw badRequest(
        `Unsupported where clause (${err.message}). Raw SQL is not accepted: use filter=col:op:value ` +
          "(repeatable; see GET /datasets/{id}/filters), or a where of the simple forms col = 'x', col = 3, " +
          "a = 'x' AND b > 2, col IN ('a','b').",
      );
    }
    throw err;
  }
}

import type { Request } from "express";
import { RequestValidationError, type FieldIssue } from "./errors.js";

/**
 * Reads typed query parameters the way FastAPI does — the last value wins for a scalar, every
 * value for a list — and collects every problem before failing, so one 422 lists them all with
 * pydantic's wording (`greater_than_equal`, `int_parsing`, …).
 */
export class QueryReader {
  private readonly issues: FieldIssue[] = [];

  constructor(private readonly req: Request) {}

  private raw(name: string): string[] {
    const v = (this.req.query as Record<string, unknown>)[name];
    if (v === undefined) return [];
    if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
    return typeof v === "string" ? [v] : [];
  }

  /** Optional string; the last occurrence wins. */
  str(name: string): string | undefined {
    const all = this.raw(name);
    return all.length === 0 ? undefined : all[all.length - 1];
  }

  /** A required string: absent → FastAPI's `missing` issue. */
  requiredStr(name: string): string | undefined {
    const v = this.str(name);
    if (v === undefined)
      this.issues.push({ type: "missing", loc: ["query", name], msg: "Field required", input: null });
    return v;
  }

  /** Every occurrence of a repeatable parameter (`filter=a&filter=b`). */
  list(name: string): string[] {
    return this.raw(name);
  }

  int(name: string, bounds: { readonly ge?: number; readonly le?: number } = {}): number | undefined {
    const text = this.str(name);
    if (text === undefined) return undefined;
    const trimmed = text.trim();
    if (!/^[+-]?\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) {
      this.issues.push({
        type: "int_parsing",
        loc: ["query", name],
        msg: "Input should be a valid integer, unable to parse string as an integer",
        input: text,
      });
      return undefined;
    }
    const n = Number(trimmed);
    if (bounds.ge !== undefined && n < bounds.ge) {
      this.issues.push({
        type: "greater_than_equal",
        loc: ["query", name],
        msg: `Input should be greater than or equal to ${bounds.ge}`,
        input: text,
        ctx: { ge: bounds.ge },
      });
      return undefined;
    }
    if (bounds.le !== undefined && n > bounds.le) {
      this.issues.push({
        type: "less_than_equal",
        loc: ["query", name],
        msg: `Input should be less than or equal to ${bounds.le}`,
        input: text,
        ctx: { le: bounds.le },
      });
      return undefined;
    }
    return n;
  }

  /** Throws the collected issues as one 422. */
  done(): void {
    if (this.issues.length > 0) throw new RequestValidationError(this.issues);
  }
}

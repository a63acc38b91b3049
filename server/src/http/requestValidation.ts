import type { Request, RequestHandler } from "express";
import { Kind, type TSchema } from "@sinclair/typebox";
import { ValueErrorType, type ValueError } from "@sinclair/typebox/errors";
import { Value } from "@sinclair/typebox/value";
import { RequestValidationError, type FieldIssue } from "./errors.js";
import type { JsonSchema, QueryParamDoc, RouteSpec } from "./routeTable.js";
import { ISO_8601 } from "../isoDate.js";

/**
 * Requests are checked against the route's declaration, once, in the router, before the handler
 * runs — so what `/openapi.json` documents is what is enforced. The 422 items are FastAPI's
 * (pydantic's `type`, `loc`, `msg`, `input`, `ctx`).
 *
 * - Query parameters: FastAPI's reading of strings (the last value wins for a scalar, every value
 *   for an array), then the declared `type`, `minimum`, `maximum`, `maxLength`, `enum`.
 * - JSON bodies declared with TypeBox (shared-crdt's `api`): their schema, in full.
 * - Bodies that `$ref` a table component (`RecordCreate`, `BBoxUpdate`, …) are Pixano's lax
 *   models: the table rules check them in the handler (SPEC R-PIXANO), not this module.
 */

/** The JSON Schema keywords a query parameter may use: anything else would be documented, not enforced. */
const QUERY_KEYWORDS = new Set([
  "type",
  "items",
  "minimum",
  "maximum",
  "maxLength",
  "enum",
  "format",
  "default",
  "description",
]);
/** The one `format` a query parameter may declare: an ISO 8601 date or date-time (its shape bounds its length). */
const QUERY_FORMATS = new Set(["date-time"]);

const QUERY_TYPES = new Set(["string", "integer", "array"]);

/** Constraint keywords that only a validated schema may carry (a plain-JSON body would not enforce them). */
const CONSTRAINTS = [
  "maxLength",
  "minLength",
  "maximum",
  "minimum",
  "exclusiveMaximum",
  "exclusiveMinimum",
  "maxItems",
  "minItems",
  "enum",
  "const",
  "pattern",
  "format",
] as const;

function isTypeBoxSchema(schema: JsonSchema): schema is JsonSchema & TSchema {
  return Kind in schema;
}

/** A table-derived body (`#/components/schemas/<Stem>Create`): checked by the table rules. */
function isTableBody(schema: JsonSchema): boolean {
  return typeof schema.$ref === "string" && /^#\/components\/schemas\/[A-Za-z]+(Create|Update)$/.test(schema.$ref);
}

function constraintsIn(schema: unknown, at: string, out: string[]): void {
  if (schema === null || typeof schema !== "object") return;
  for (const [k, v] of Object.entries(schema)) {
    if ((CONSTRAINTS as readonly string[]).includes(k)) out.push(`${at}.${k}`);
    else if (typeof v === "object") constraintsIn(v, `${at}.${k}`, out);
  }
}

/**
 * Refuses, when the route is registered, a declaration whose constraints nothing would enforce:
 * a query parameter using keywords this module does not check, or a constrained body that is
 * neither a TypeBox schema nor a table component.
 */
export function checkDeclaration(spec: RouteSpec): void {
  const where = `${spec.method.toUpperCase()} ${spec.path}`;
  for (const q of spec.query ?? []) {
    for (const k of Object.keys(q.schema))
      if (!QUERY_KEYWORDS.has(k)) throw new Error(`${where}: query ${q.name} uses ${k}, which is not enforced`);
    // `["string", "null"]`: an optional string (a query string has no null).
    const type =
      Array.isArray(q.schema.type) && q.schema.type.length === 2 && q.schema.type.includes("null")
        ? q.schema.type.find((t) => t !== "null")
        : q.schema.type;
    if (q.schema.format !== undefined && (type !== "string" || !QUERY_FORMATS.has(String(q.schema.format))))
      throw new Error(`${where}: query ${q.name} has format ${String(q.schema.format)}, which is not enforced`);
    if (q.schema.enum !== undefined && type !== "string")
      throw new Error(`${where}: query ${q.name} has an enum on a non-string, which is not enforced`);
    if (!QUERY_TYPES.has(String(type)))
      throw new Error(`${where}: query ${q.name} has type ${String(q.schema.type)}, which is not enforced`);
    const items = q.schema.items as JsonSchema | undefined;
    if (q.schema.type === "array" && (items === undefined || items.type !== "string" || Object.keys(items).length > 1))
      throw new Error(`${where}: query ${q.name} must be an array of plain strings`);
  }
  if (spec.body && !isTypeBoxSchema(spec.body) && !isTableBody(spec.body)) {
    const found: string[] = [];
    constraintsIn(spec.body, "body", found);
    if (found.length > 0)
      throw new Error(`${where}: ${found.join(", ")} would be documented, not enforced: declare the body with TypeBox`);
  }
}

function rawValues(req: Request, name: string): string[] {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  return typeof v === "string" ? [v] : [];
}

/**
 * Reads the declared query parameters: the parsed values (integers as numbers, every value of a
 * list, a declared `default` for an absent one) and the issues of those that break their schema.
 */
function readQuery(
  req: Request,
  params: readonly QueryParamDoc[],
): { readonly values: Record<string, unknown>; readonly issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const values: Record<string, unknown> = {};
  for (const p of params) {
    const loc = ["query", p.name] as const;
    const all = rawValues(req, p.name);
    const text = all[all.length - 1];
    const s = p.schema;
    if (text === undefined) {
      if (p.required) issues.push({ type: "missing", loc, msg: "Field required", input: null });
      values[p.name] = s.type === "array" ? [] : s.default;
      continue;
    }
    if (s.type === "integer") {
      const trimmed = text.trim();
      if (!/^[+-]?\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) {
        issues.push({
          type: "int_parsing",
          loc,
          msg: "Input should be a valid integer, unable to parse string as an integer",
          input: text,
        });
        continue;
      }
      const n = Number(trimmed);
      if (typeof s.minimum === "number" && n < s.minimum) {
        issues.push({
          type: "greater_than_equal",
          loc,
          msg: `Input should be greater than or equal to ${s.minimum}`,
          input: text,
          ctx: { ge: s.minimum },
        });
      } else if (typeof s.maximum === "number" && n > s.maximum) {
        issues.push({
          type: "less_than_equal",
          loc,
          msg: `Input should be less than or equal to ${s.maximum}`,
          input: text,
          ctx: { le: s.maximum },
        });
      }
      values[p.name] = n;
      continue;
    }
    const list = s.type === "array" ? all : [text];
    values[p.name] = s.type === "array" ? list : text;
    for (const v of list) {
      if (typeof s.maxLength === "number" && v.length > s.maxLength) {
        issues.push({
          type: "string_too_long",
          loc,
          msg: `String should have at most ${s.maxLength} characters`,
          input: v,
          ctx: { max_length: s.maxLength },
        });
      } else if (s.format === "date-time" && !ISO_8601.test(v)) {
        issues.push({
          type: "datetime_from_date_parsing",
          loc,
          msg: "Input should be a valid datetime or date (ISO 8601: 2026-01-02, 2026-01-02T03:04:05Z, …+02:00)",
          input: v,
        });
      } else if (Array.isArray(s.enum) && !s.enum.includes(v)) {
        const expected = s.enum.map((e) => `'${String(e)}'`);
        const last = expected.pop() ?? "";
        issues.push({
          type: "literal_error",
          loc,
          msg: `Input should be ${expected.length > 0 ? `${expected.join(", ")} or ${last}` : last}`,
          input: v,
          ctx: { expected: [...expected, last].join(", ") },
        });
      }
    }
  }
  return { values, issues };
}

/** `/a/0/b` → `["a", 0, "b"]`. */
function pointerLoc(path: string): (string | number)[] {
  if (path === "") return [];
  return path
    .slice(1)
    .split("/")
    .map((seg) => seg.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg));
}

function literalList(values: readonly unknown[]): string {
  const quoted = values.map((v) => (typeof v === "string" ? `'${v}'` : String(v)));
  const last = quoted.pop() ?? "";
  return quoted.length > 0 ? `${quoted.join(", ")} or ${last}` : last;
}

/** One TypeBox error as pydantic names it. */
function bodyIssue(e: ValueError): FieldIssue | null {
  const loc = ["body", ...pointerLoc(e.path)];
  const input = e.value;
  const s = e.schema as Readonly<Record<string, unknown>>;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return null; // reported by the property's own `Undefined`-valued error below
    case ValueErrorType.Object:
      return {
        type: "model_attributes_type",
        loc,
        msg: "Input should be a valid dictionary or object to extract fields from",
        input,
      };
    case ValueErrorType.String:
      return { type: "string_type", loc, msg: "Input should be a valid string", input };
    case ValueErrorType.StringMaxLength:
      return {
        type: "string_too_long",
        loc,
        msg: `String should have at most ${String(s.maxLength)} characters`,
        input,
        ctx: { max_length: s.maxLength },
      };
    case ValueErrorType.StringMinLength:
      return {
        type: "string_too_short",
        loc,
        msg: `String should have at least ${String(s.minLength)} character${s.minLength === 1 ? "" : "s"}`,
        input,
        ctx: { min_length: s.minLength },
      };
    case ValueErrorType.Integer:
      if (typeof input === "number" && Number.isFinite(input))
        return {
          type: "int_from_float",
          loc,
          msg: "Input should be a valid integer, got a number with a fractional part",
          input,
        };
      if (typeof input === "bigint")
        return {
          type: "int_range",
          loc,
          msg: "Input should be an integer from -9223372036854775808 to 9223372036854775807",
          input: Number(input),
        };
      return { type: "int_type", loc, msg: "Input should be a valid integer", input };
    case ValueErrorType.Number:
      return { type: "float_type", loc, msg: "Input should be a valid number", input };
    case ValueErrorType.Boolean:
      return { type: "bool_type", loc, msg: "Input should be a valid boolean", input };
    case ValueErrorType.Array:
      return { type: "list_type", loc, msg: "Input should be a valid list", input };
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return {
        type: "greater_than_equal",
        loc,
        msg: `Input should be greater than or equal to ${String(s.minimum)}`,
        input,
        ctx: { ge: s.minimum },
      };
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return {
        type: "less_than_equal",
        loc,
        msg: `Input should be less than or equal to ${String(s.maximum)}`,
        input,
        ctx: { le: s.maximum },
      };
    case ValueErrorType.Union: {
      const options = Array.isArray(s.anyOf) ? (s.anyOf as Readonly<Record<string, unknown>>[]) : [];
      if (options.length > 0 && options.every((o) => "const" in o)) {
        const expected = literalList(options.map((o) => o.const));
        return { type: "literal_error", loc, msg: `Input should be ${expected}`, input, ctx: { expected } };
      }
      return { type: "union_tag_invalid", loc, msg: "Input does not match any of the allowed shapes", input };
    }
    default:
      return { type: "value_error", loc, msg: `Value error, ${e.message}`, input };
  }
}

const HIDDEN = "…";

/** The body as a 422 may echo it: `writeOnly` fields (passwords) hidden. */
function echoable(schema: TSchema, body: unknown): unknown {
  const props = (schema as { properties?: Readonly<Record<string, { writeOnly?: boolean }>> }).properties;
  if (!props || body === null || typeof body !== "object" || Array.isArray(body)) return body;
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [k, props[k]?.writeOnly === true ? HIDDEN : v] as const),
  );
}

function bodyIssues(schema: TSchema, body: unknown): FieldIssue[] {
  if (body === undefined) return [{ type: "missing", loc: ["body"], msg: "Field required", input: null }];
  const out: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, body)) {
    // TypeBox reports a missing property twice (required + undefined value): pydantic says `missing` once.
    if (e.type === ValueErrorType.ObjectRequiredProperty) {
      if (!seen.has(e.path)) {
        const loc = ["body", ...pointerLoc(e.path)];
        out.push({ type: "missing", loc, msg: "Field required", input: echoable(schema, body) });
      }
      seen.add(e.path);
      continue;
    }
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    const issue = bodyIssue(e);
    if (!issue) continue;
    const secret = (e.schema as { writeOnly?: boolean }).writeOnly === true;
    out.push(secret ? { ...issue, input: HIDDEN } : issue);
  }
  return out;
}

/**
 * The middleware that checks a request against its route's declaration. On success the handler's
 * `req.query` is replaced by the declared parameters only, parsed (see `QueryOf` in routeTable.ts):
 * a handler cannot read a parameter the route does not document.
 */
export function requestValidator(spec: RouteSpec): RequestHandler {
  const query = spec.query ?? [];
  const body = spec.body && isTypeBoxSchema(spec.body) ? spec.body : null;
  return (req, _res, next) => {
    const read = readQuery(req, query);
    const issues = [...read.issues, ...(body ? bodyIssues(body, req.body) : [])];
    if (issues.length > 0) {
      next(new RequestValidationError(issues));
      return;
    }
    // Express defines `query` as a getter on the request prototype: an own property shadows it.
    Object.defineProperty(req, "query", { value: Object.freeze(read.values), enumerable: true, configurable: true });
    next();
  };
}

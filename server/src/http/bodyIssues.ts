import type { IssueCode, ValidationIssue } from "@tessera/shared-crdt";
import type { FieldIssue } from "./errors.js";

/**
 * shared-crdt's validation issues (`bboxes.coords[4]: must be a finite number`) as FastAPI/pydantic
 * 422 items (`{"type":"float_type","loc":["body","coords",4],"msg":"Input should be a valid number"}`).
 */

const INT64_RANGE = "Input should be an integer from -9223372036854775808 to 9223372036854775807";

/** pydantic's message of each issue code; `null` → `Value error, <the issue's own message>`. */
const MESSAGES: Readonly<Record<IssueCode, string | null>> = {
  missing: "Field required",
  none_forbidden: "Input should not be None",
  model_attributes_type: "Input should be a valid dictionary or object to extract fields from",
  string_type: "Input should be a valid string",
  string_too_long: "String should have at most {max_length} characters",
  int_type: "Input should be a valid integer",
  int_parsing: "Input should be a valid integer, unable to parse string as an integer",
  int_from_float: "Input should be a valid integer, got a number with a fractional part",
  int_range: INT64_RANGE,
  float_type: "Input should be a valid number",
  float_parsing: "Input should be a valid number, unable to parse string as a number",
  bool_type: "Input should be a valid boolean",
  bool_parsing: "Input should be a valid boolean, unable to interpret input",
  list_type: "Input should be a valid list",
  datetime_from_date_parsing: "Input should be a valid datetime",
  value_error: null,
  model_type: "Input should be an object",
  string_too_short: "String should have at least {min_length} characters",
  greater_than_equal: "Input should be greater than or equal to {ge}",
  less_than_equal: "Input should be less than or equal to {le}",
  literal_error: "Input should be {expected}",
  union_tag_invalid: "Input does not match any of the allowed shapes",
  json_invalid: "JSON decode error",
  reference_missing: null,
  reference_cross_entity: null,
};

/** Codes answered as a 422 item of another type (Tessera's own kinds of issue, as FastAPI would name them). */
const ITEM_TYPE: Partial<Record<IssueCode, IssueCode>> = {
  reference_missing: "value_error",
  reference_cross_entity: "value_error",
};

/** The pydantic message of `code`, its `{placeholders}` filled from the issue's context. */
function issueMessage(code: IssueCode, message: string, ctx?: Readonly<Record<string, number | string>>): string {
  const template = MESSAGES[code];
  if (template === null) return `Value error, ${message}`;
  return template.replace(/\{([a-z_]+)\}/g, (whole, key: string) => {
    const v = ctx?.[key];
    return v === undefined ? whole : String(v);
  });
}

/** `bboxes[b1].coords[4]` → `["coords", 4]`: the first segment names the table (and row), not a field. */
function locOf(path: string): (string | number)[] {
  let rest = path;
  const head = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?/.exec(rest);
  if (head) rest = rest.slice(head[0].length);
  else return [path];
  if (rest.startsWith(".")) rest = rest.slice(1);
  const out: (string | number)[] = [];
  for (const m of rest.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
  }
  return out;
}

function inputAt(body: unknown, loc: readonly (string | number)[]): unknown {
  let cur: unknown = body;
  for (const k of loc) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

export function toFieldIssues(issues: readonly ValidationIssue[], body: unknown): FieldIssue[] {
  return issues.map((i) => {
    const loc = locOf(i.path);
    const code = i.code ?? "value_error";
    const input = code === "missing" ? body : inputAt(body, loc);
    return {
      type: ITEM_TYPE[code] ?? code,
      loc: ["body", ...loc],
      msg: issueMessage(code, i.message, i.ctx),
      ...(input === undefined ? {} : { input }),
      // pydantic's `ctx`: the constraint a templated message names (`max_length`, …), nothing else.
      ...(i.ctx === undefined || !MESSAGES[code]?.includes("{") ? {} : { ctx: i.ctx }),
    };
  });
}

/** 422 items for a body that is absent or not a JSON object. */
export function bodyShapeIssues(body: unknown): FieldIssue[] {
  if (body === undefined) return [{ type: "missing", loc: ["body"], msg: "Field required", input: null }];
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return [
      {
        type: "model_attributes_type",
        loc: ["body"],
        msg: "Input should be a valid dictionary or object to extract fields from",
        input: body,
      },
    ];
  }
  return [];
}

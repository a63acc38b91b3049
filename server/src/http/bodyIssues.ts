import type { ValidationIssue } from "@tessera/shared-crdt";
import type { FieldIssue } from "./errors.js";

/**
 * shared-crdt's validation issues (`bboxes.coords[4]: must be a finite number`) as FastAPI/pydantic
 * 422 items (`{"type":"float_type","loc":["body","coords",4],"msg":"Input should be a valid number"}`).
 */

const TYPE_MESSAGES: ReadonlyArray<readonly [RegExp, string, string]> = [
  [/^is required$/, "missing", "Field required"],
  [/^must be a string$/, "string_type", "Input should be a valid string"],
  // Pixano's lax conversions that failed (dataset laxScalars, REST R-PIXANO), as pydantic names them.
  [
    /^must be an integer, got a number with a fractional part$/,
    "int_from_float",
    "Input should be a valid integer, got a number with a fractional part",
  ],
  [
    /^must be an integer, got "/,
    "int_parsing",
    "Input should be a valid integer, unable to parse string as an integer",
  ],
  [
    /^must be a finite number, got "/,
    "float_parsing",
    "Input should be a valid number, unable to parse string as a number",
  ],
  [/^must be a boolean, got "/, "bool_parsing", "Input should be a valid boolean, unable to interpret input"],
  [/^must be a boolean, got /, "bool_type", "Input should be a valid boolean"],
  [
    /^\S+ does not fit a 64-bit integer$/,
    "int_range",
    "Input should be an integer from -9223372036854775808 to 9223372036854775807",
  ],
  [/^must be an integer$/, "int_type", "Input should be a valid integer"],
  [
    /^is out of the int64 range$/,
    "int_range",
    "Input should be an integer from -9223372036854775808 to 9223372036854775807",
  ],
  [/^must be a finite number$/, "float_type", "Input should be a valid number"],
  [/^must be a boolean$/, "bool_type", "Input should be a valid boolean"],
  [/^must be a list$/, "list_type", "Input should be a valid list"],
  [/^must not be null$/, "none_forbidden", "Input should not be None"],
  [
    /^must be an object$/,
    "model_attributes_type",
    "Input should be a valid dictionary or object to extract fields from",
  ],
  [/^must be an ISO timestamp/, "datetime_from_date_parsing", "Input should be a valid datetime"],
];

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
    const known = TYPE_MESSAGES.find(([re]) => re.test(i.message));
    const input = known?.[1] === "missing" ? body : inputAt(body, loc);
    return {
      type: known ? known[1] : "value_error",
      loc: ["body", ...loc],
      msg: known ? known[2] : `Value error, ${i.message}`,
      ...(input === undefined ? {} : { input }),
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

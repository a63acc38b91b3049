import { Router } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ISSUE_CODES, type ValidationIssue } from "@tessera/shared-crdt";
import { WORKFLOW_COMMENT_MAX } from "@tessera/shared-crdt/api";
import { toFieldIssues } from "../../src/http/bodyIssues.js";
import { mapRecordDocError } from "../../src/http/recordDocs.js";
import { RouteTable, type RouteSpec } from "../../src/http/routeTable.js";
import { percentile } from "../auth/support.js";
import { buildDataDir, DS, spawnServer, type ServerProcess } from "../integration/support.js";

/**
 * The REST contract, checked from `/openapi.json` of a real server: every constraint a route
 * documents (query and body) is enforced with a coded 422 item, a request at the limit passes,
 * and the document is well-formed OpenAPI 3.1. New routes and new constraints are covered by
 * construction: the cases are generated from the document, not listed here.
 */

type Schema = Readonly<Record<string, unknown>>;
interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly schema: Schema;
}
interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly parameters: readonly Parameter[];
  readonly requestBody?: { readonly content: Readonly<Record<string, { readonly schema: Schema }>> };
  readonly responses: Readonly<Record<string, { readonly description: string }>>;
}
interface Document {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components: { readonly schemas: Readonly<Record<string, Schema>> };
}
interface Item {
  readonly type: string;
  readonly loc: readonly (string | number)[];
  readonly msg: string;
}

const METHODS = new Set(["get", "put", "post", "patch", "delete"]);
/** pydantic's error types a violated constraint may answer with. */
const CONSTRAINT_CODES: Readonly<Record<string, string>> = {
  minimum: "greater_than_equal",
  maximum: "less_than_equal",
  maxLength: "string_too_long",
  minLength: "string_too_short",
  enum: "literal_error",
  integer: "int_parsing",
  format: "datetime_from_date_parsing",
  required: "missing",
};

let root: { dataDir: string; cleanup(): Promise<void> };
let server: ServerProcess;
let doc: Document;

beforeAll(async () => {
  root = await buildDataDir(["r1", "r2"]);
  server = await spawnServer(root.dataDir);
  const r = await fetch(`${server.url}/openapi.json`);
  doc = (await r.json()) as Document;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await root?.cleanup();
});

function operations(): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method, path, op })),
  );
}

/** The path with real ids: the dataset and record exist, the rest is a plausible id. */
function concrete(path: string): string {
  return path.replace(/\{([A-Za-z_]+)\}/g, (_m, name: string) =>
    name === "dataset_id" || name === "id" ? DS : name === "record_id" ? "r1" : name === "path" ? "x.png" : "x1",
  );
}

/** A valid value for a schema (its default, its first enum value, its lower bound, or a short string). */
function validValue(s: Schema): unknown {
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.anyOf)) {
    const first = (s.anyOf as Schema[])[0];
    if (first && "const" in first) return first.const;
  }
  if (s.type === "integer" || s.type === "number") return typeof s.minimum === "number" ? s.minimum : 1;
  if (s.type === "boolean") return true;
  if (s.type === "array") return [];
  if (s.type === "object") return validBody(s);
  return "a";
}

function validBody(s: Schema): Record<string, unknown> {
  const props = (s.properties ?? {}) as Readonly<Record<string, Schema>>;
  const required = (s.required ?? []) as readonly string[];
  return Object.fromEntries(required.map((k) => [k, validValue(props[k] ?? {})]));
}

/** One violating value per constraint the schema documents, with the code it must be refused with. */
function violations(s: Schema, asText: boolean): Array<{ constraint: string; value: unknown; code: string }> {
  const out: Array<{ constraint: string; value: unknown; code: string }> = [];
  const num = (n: number) => (asText ? String(n) : n);
  if (typeof s.minimum === "number") out.push({ constraint: "minimum", value: num(s.minimum - 1), code: "" });
  if (typeof s.maximum === "number") out.push({ constraint: "maximum", value: num(s.maximum + 1), code: "" });
  if (typeof s.maxLength === "number")
    out.push({ constraint: "maxLength", value: "x".repeat(s.maxLength + 1), code: "" });
  if (typeof s.minLength === "number" && s.minLength > 0) out.push({ constraint: "minLength", value: "", code: "" });
  const literals = Array.isArray(s.anyOf) && (s.anyOf as Schema[]).every((o) => "const" in o);
  if (Array.isArray(s.enum) || literals) out.push({ constraint: "enum", value: "not-an-option", code: "" });
  if (s.type === "integer" && asText) out.push({ constraint: "integer", value: "3x", code: "" });
  if (s.format === "date-time") out.push({ constraint: "format", value: "yesterday", code: "" });
  return out.map((v) => ({ ...v, code: CONSTRAINT_CODES[v.constraint] ?? "?" }));
}

async function send(method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, {
    method: method.toUpperCase(),
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err; // a binary or HTML answer: kept as text
  }
  return { status: r.status, body: parsed };
}

function itemsOf(body: unknown): Item[] {
  const detail = (body as { detail?: unknown } | null)?.detail;
  return Array.isArray(detail) ? (detail as Item[]) : [];
}

function queryString(params: Readonly<Record<string, unknown>>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) sp.set(k, String(v));
  const s = sp.toString();
  return s ? `?${s}` : "";
}

describe("REST contract: /openapi.json", () => {
  it("is OpenAPI 3.1 in structure: operations with ids and responses, declared path parameters, resolvable $refs", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe("string");
    expect(typeof doc.info.version).toBe("string");
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(path.startsWith("/"), path).toBe(true);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        expect(METHODS.has(method), where).toBe(true);
        expect(op.operationId, where).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        expect(ids.has(op.operationId), `${where}: operationId ${op.operationId} twice`).toBe(false);
        ids.add(op.operationId);
        expect(op.summary.length, where).toBeGreaterThan(0);
        expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
        for (const [status, r] of Object.entries(op.responses)) {
          expect(status, where).toMatch(/^[1-5]\d\d$/);
          expect(typeof r.description, `${where} ${status}`).toBe("string");
        }
        const pathParams = op.parameters.filter((p) => p.in === "path").map((p) => p.name);
        expect(pathParams.sort(), where).toEqual([...templated].sort());
        for (const p of op.parameters) {
          expect(["path", "query"], where).toContain(p.in);
          if (p.in === "path") expect(p.required, where).toBe(true);
        }
      }
    }
    expect(ids.size).toBeGreaterThan(60);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const name of refs) expect(doc.components.schemas, `$ref ${name}`).toHaveProperty([name ?? ""]);
  });

  it("every documented query constraint (minimum, maximum, maxLength, enum, integer, required) is refused with a coded 422 on every route", async () => {
    let checked = 0;
    const failures: string[] = [];
    for (const { method, path, op } of operations()) {
      const query = op.parameters.filter((p) => p.in === "query");
      const valid = Object.fromEntries(query.filter((p) => p.required).map((p) => [p.name, validValue(p.schema)]));
      for (const p of query) {
        const cases = violations(p.schema, true);
        if (p.required) cases.push({ constraint: "required", value: undefined, code: "missing" });
        for (const c of cases) {
          const params: Record<string, unknown> = { ...valid };
          if (c.value === undefined) delete params[p.name];
          else params[p.name] = c.value;
          const r = await send(method, `${server.url}${concrete(path)}${queryString(params)}`);
          const item = itemsOf(r.body).find((i) => i.loc[0] === "query" && i.loc[1] === p.name);
          checked++;
          if (r.status !== 422 || item?.type !== c.code)
            failures.push(`${method} ${path} ?${p.name} ${c.constraint}: ${r.status} ${JSON.stringify(r.body)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // pagination on many listings, the search text, activity, frame batches
    expect(checked).toBeGreaterThan(40);
  });

  it("every documented body constraint is refused with a coded 422 (the workflow comment past 4000, token name and lifetime)", async () => {
    let checked = 0;
    const failures: string[] = [];
    for (const { method, path, op } of operations()) {
      const schema = op.requestBody?.content["application/json"]?.schema;
      const props = (schema?.properties ?? {}) as Readonly<Record<string, Schema>>;
      if (!schema || Object.keys(props).length === 0) continue;
      for (const [name, prop] of Object.entries(props)) {
        const cases = violations(prop, false);
        if (((schema.required ?? []) as string[]).includes(name))
          cases.push({ constraint: "required", value: undefined, code: "missing" });
        for (const c of cases) {
          const body: Record<string, unknown> = validBody(schema);
          if (c.value === undefined) delete body[name];
          else body[name] = c.value;
          const r = await send(method, `${server.url}${concrete(path)}`, body);
          const item = itemsOf(r.body).find((i) => i.loc[0] === "body" && i.loc[1] === name);
          checked++;
          if (r.status !== 422 || item?.type !== c.code)
            failures.push(`${method} ${path} body.${name} ${c.constraint}: ${r.status} ${JSON.stringify(r.body)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it("a request at every documented limit passes validation (no 422 for the boundary values)", async () => {
    const failures: string[] = [];
    for (const { method, path, op } of operations()) {
      if (method !== "get") continue; // boundary bodies would write; their fields are covered below
      for (const p of op.parameters.filter((x) => x.in === "query")) {
        const s = p.schema;
        const values = [
          ...(typeof s.minimum === "number" ? [s.minimum] : []),
          ...(typeof s.maximum === "number" ? [s.maximum] : []),
          ...(typeof s.maxLength === "number" ? ["y".repeat(s.maxLength)] : []),
          // The longest shape a date-time parameter takes.
          ...(s.format === "date-time" ? ["2026-01-02T03:04:05.123456789+02:00"] : []),
        ];
        for (const v of values) {
          const r = await send(method, `${server.url}${concrete(path)}${queryString({ [p.name]: v })}`);
          if (r.status === 422)
            failures.push(`${method} ${path} ?${p.name}=${String(v).slice(0, 20)}: ${JSON.stringify(r.body)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("REST contract: POST /datasets/{id}/records/{rid}/workflow", () => {
  it("refuses a rejection comment longer than the documented maxLength with 422 string_too_long instead of truncating it, and changes nothing", async () => {
    const url = `${server.url}/datasets/${DS}/records/r2/workflow`;
    const record = async () =>
      (await send("get", `${server.url}/datasets/${DS}/records/r2`)).body as { status: string; comment: string };
    expect((await send("post", url, { action: "edit" })).status).toBe(200);
    expect((await send("post", url, { action: "submit" })).status).toBe(200);

    const long = await send("post", url, { action: "reject", comment: "c".repeat(WORKFLOW_COMMENT_MAX + 1) });
    expect(long.status).toBe(422);
    expect(itemsOf(long.body)).toEqual([
      expect.objectContaining({ type: "string_too_long", loc: ["body", "comment"], ctx: { max_length: 4000 } }),
    ]);
    expect(await record()).toMatchObject({ status: "inReview", comment: "" });

    const full = await send("post", url, { action: "reject", comment: "c".repeat(WORKFLOW_COMMENT_MAX) });
    expect(full.status).toBe(200);
    const after = await record();
    expect(after.status).toBe("inProgress");
    // The reason is kept whole in a review thread; the record's own comment is left as it was (SPEC RV5).
    expect(after.comment).toBe("");
    const threads = (await send("get", `${server.url}/datasets/${DS}/records/r2/review/threads`)).body as Array<{
      messages: Array<{ text: string }>;
    }>;
    expect(threads.at(-1)?.messages[0]?.text.length).toBe(WORKFLOW_COMMENT_MAX);
  });

  it("an unknown action is a coded literal_error naming the actions", async () => {
    const r = await send("post", `${server.url}/datasets/${DS}/records/r1/workflow`, { action: "publish" });
    expect(r.status).toBe(422);
    const [item] = itemsOf(r.body);
    expect(item?.type).toBe("literal_error");
    expect(item?.loc).toEqual(["body", "action"]);
    expect(item?.msg).toContain("'submit'");
  });
});

describe("REST contract: under load", () => {
  it("a flood of requests breaking the declarations is answered 422 while valid requests keep being served (p50/p99 printed)", async () => {
    let done = false;
    const latencies: number[] = [];
    const statuses: number[] = [];
    const legit = async () => {
      while (!done) {
        const t0 = performance.now();
        const r = await fetch(`${server.url}/datasets/${DS}/records?limit=10`);
        await r.arrayBuffer();
        statuses.push(r.status);
        latencies.push(performance.now() - t0);
      }
    };
    const bad = [
      () => send("get", `${server.url}/datasets/${DS}/records?limit=5000&offset=-1&q=${"q".repeat(300)}`),
      () => send("get", `${server.url}/datasets/${DS}/activity?limit=abc`),
      () =>
        send("post", `${server.url}/datasets/${DS}/records/r1/workflow`, {
          action: "reject",
          comment: "c".repeat(WORKFLOW_COMMENT_MAX * 4),
        }),
      () => send("post", `${server.url}/auth/tokens`, { name: "n".repeat(1000), expires_in_days: 1e9 }),
    ];
    const attack = async (lane: number) => {
      const out: number[] = [];
      for (let i = 0; i < 100; i++) out.push((await bad[(i + lane) % bad.length]!()).status);
      return out;
    };
    const probes = Promise.all([legit(), legit()]);
    const refused = (await Promise.all([attack(0), attack(1), attack(2), attack(3)])).flat();
    done = true;
    await probes;
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    console.log(
      `contract flood: ${refused.length} invalid requests; valid n=${sorted.length} p50=${p50.toFixed(1)} ms p99=${p99.toFixed(1)} ms`,
    );
    expect(new Set(refused)).toEqual(new Set([422]));
    expect(sorted.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200]));
    // Loaded 2-core CI: generous headroom; an unloaded run is ~10–50 ms.
    expect(p99).toBeLessThan(3000);
  });
});

describe("REST contract: secrets", () => {
  it("a 422 on a body with a password never echoes the password", async () => {
    const secret = "s3cret-Passw0rd-never-echoed";
    const replies = [
      await send("post", `${server.url}/auth/login`, { password: secret }),
      await send("post", `${server.url}/auth/login`, { username: 3, password: secret }),
      await send("post", `${server.url}/auth/password`, { current_password: secret }),
      await send("post", `${server.url}/auth/password`, { current_password: secret, new_password: 7 }),
      await send("post", `${server.url}/users`, { username: "u", role: "boss", password: secret }),
    ];
    for (const r of replies) {
      expect(r.status).toBe(422);
      expect(JSON.stringify(r.body)).not.toContain(secret);
    }
  });
});

describe("REST contract: declarations", () => {
  const spec = (over: Partial<RouteSpec>): RouteSpec => ({
    method: "post",
    path: "/x",
    operationId: "x",
    summary: "x",
    tags: [],
    responses: { "200": { description: "ok" } },
    ...over,
  });
  const noop = () => undefined;

  it("a route whose documented constraint nothing would enforce cannot be registered", () => {
    const table = () => new RouteTable();
    expect(() =>
      table().add(
        Router(),
        spec({ body: { type: "object", properties: { a: { type: "string", maxLength: 3 } } } }),
        noop,
      ),
    ).toThrow(/maxLength would be documented, not enforced/);
    expect(() =>
      table().add(Router(), spec({ query: [{ name: "q", schema: { type: "string", pattern: "^a" } }] }), noop),
    ).toThrow(/uses pattern, which is not enforced/);
    expect(() =>
      table().add(Router(), spec({ query: [{ name: "n", schema: { type: "integer", enum: [1, 2] } }] }), noop),
    ).toThrow(/enum on a non-string/);
    expect(() =>
      table().add(Router(), spec({ body: { $ref: "#/components/schemas/BBoxCreate" } }), noop),
    ).not.toThrow();
  });
});

describe("REST contract: issue codes", () => {
  it("422 items come from the issue's code, not from its English message", () => {
    const issues: ValidationIssue[] = [
      { path: "bboxes.coords[1]", message: "must be a string", code: "value_error" },
      { path: "bboxes.confidence", message: "anything at all", code: "float_parsing" },
      { path: "bboxes.frame_index", message: "must be a finite number", code: "int_from_float" },
    ];
    const items = toFieldIssues(issues, { coords: [0, "x"], confidence: "high", frame_index: 1.5 });
    expect(items.map((i) => [i.type, i.loc, i.msg])).toEqual([
      ["value_error", ["body", "coords", 1], "Value error, must be a string"],
      ["float_parsing", ["body", "confidence"], "Input should be a valid number, unable to parse string as a number"],
      [
        "int_from_float",
        ["body", "frame_index"],
        "Input should be a valid integer, got a number with a fractional part",
      ],
    ]);
    for (const i of items) expect(ISSUE_CODES).toContain(i.type);
  });

  it("a live document's reference issues are told apart by code, not by matching their message", () => {
    const roomEdit = (issues: ValidationIssue[]) =>
      Object.assign(new Error("edit refused"), { name: "RoomEditError", issues });
    const missing: ValidationIssue = {
      path: "bboxes[b1].entity_id",
      code: "reference_missing",
      message: "no such entity",
      ctx: { value: "e9", targets: "entities" },
    };
    expect(mapRecordDocError(roomEdit([missing]))).toEqual({
      status: 400,
      detail: "Foreign key violation: entity_id='e9' not found in 'entities'.",
    });
    const cross: ValidationIssue = {
      path: "bboxes[b1].tracklet_id",
      code: "reference_cross_entity",
      message: 'belongs to entity "e2", not "e1"',
      ctx: { value: "t1", entity: "e2" },
    };
    expect(mapRecordDocError(roomEdit([cross]))?.status).toBe(400);
    expect(String(mapRecordDocError(roomEdit([cross]))?.detail)).toMatch(/^Cross-entity check failed/);
    // English that reads like a reference problem but is coded as a rule: a 422 item, not a 400.
    const rule: ValidationIssue = {
      path: "bboxes[b1].entity_id",
      code: "value_error",
      message: 'refers to a missing row "e9" in entities',
    };
    expect(mapRecordDocError(roomEdit([rule]))?.status).toBe(422);
  });
});

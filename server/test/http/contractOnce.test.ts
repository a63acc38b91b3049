import type { AddressInfo } from "node:net";
import express, { Router } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, createLibraryAdapter, routeTableOf, silentLogger } from "../../src/index.js";
import { errorHandler } from "../../src/http/errors.js";
import { locateJsonSyntaxError } from "../../src/http/jsonSyntax.js";
import { expressPath, RouteTable, type ParamsOf, type QueryOf } from "../../src/http/routeTable.js";
import { paginationDocs } from "../../src/http/routes/docs.js";
import { LOGIN_USERNAME_MAX, PASSWORD_MAX } from "@tessera/shared-crdt/api";
import { percentile } from "../auth/support.js";
import { buildDataDir, DS, spawnServer, type ServerProcess } from "../integration/support.js";

/**
 * The REST contract is written once: each Express route has exactly one declaration, a handler
 * reads only the query its declaration documents (parsed by the router, typed from the
 * declaration), and a malformed JSON body is located without reading the engine's message.
 */

interface Layer {
  readonly route?: { readonly path: string | RegExp; readonly methods: Readonly<Record<string, boolean>> };
  readonly handle?: { readonly stack?: readonly Layer[] };
}

function expressRoutes(stack: readonly Layer[]): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const [m, on] of Object.entries(layer.route.methods))
        if (on && m !== "_all") out.push(`${m.toUpperCase()} ${String(layer.route.path)}`);
    } else if (layer.handle?.stack) out.push(...expressRoutes(layer.handle.stack));
  }
  return out;
}

let root: { dataDir: string; cleanup(): Promise<void> };
let server: ServerProcess;

beforeAll(async () => {
  root = await buildDataDir(["r1", "r2"]);
  server = await spawnServer(root.dataDir);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await root?.cleanup();
});

describe("one declaration per route", () => {
  it("every registered Express route has exactly one declaration, and every declaration one Express route", () => {
    const app = createApp({
      library: createLibraryAdapter(root.dataDir, { logger: silentLogger }),
      dataDir: root.dataDir,
    });
    const declared = routeTableOf(app).routes.map((r) => `${r.method.toUpperCase()} ${expressPath(r)}`);
    const stack = (app as unknown as { router: { stack: readonly Layer[] } }).router.stack;
    // Not API routes: the web client's page (GET /, answered by the permission guard when no client
    // is built) and its history fallback (GET /.*/ in routes/root.ts).
    const registered = expressRoutes(stack).filter((r) => r !== "GET /" && r !== "GET /.*/");
    expect(new Set(declared).size, "a route declared twice").toBe(declared.length);
    // Each declared route is mounted twice, both from its one declaration: the permission guard
    // (auth/middleware.ts install()) and the route table's validation + handler.
    const counts = new Map<string, number>();
    for (const r of registered) counts.set(r, (counts.get(r) ?? 0) + 1);
    expect(
      [...counts].filter(([r, n]) => n !== 2 || !declared.includes(r)),
      "Express routes without exactly one declaration",
    ).toEqual([]);
    expect(
      declared.filter((r) => counts.get(r) !== 2),
      "declarations without their Express route",
    ).toEqual([]);
    expect(declared.length).toBeGreaterThan(100);
  });
});

describe("typed input only", () => {
  it("a handler cannot see an undeclared query parameter: it gets the declared ones, parsed, defaults applied", async () => {
    const table = new RouteTable();
    const router = Router();
    let seen: unknown = null;
    const spec = {
      method: "get",
      path: "/probe/{item}",
      operationId: "probe",
      summary: "probe",
      tags: [],
      query: [...paginationDocs, { name: "tag", schema: { type: "array", items: { type: "string" } } }],
      responses: { "200": { description: "ok" } },
    } as const;
    table.add(router, spec, (req, res) => {
      const q: QueryOf<typeof spec> = req.query;
      const limit: number = q.limit;
      const tags: string[] = q.tag;
      // @ts-expect-error `bogus` is not declared, so the handler's query has no such field.
      const bogus: unknown = q.bogus;
      const item: string = req.params.item;
      // @ts-expect-error the path declares no `{other}`.
      const other: unknown = req.params.other;
      seen = { item, other, limit, tags, all: req.query, bogus };
      res.json({ ok: true });
    });
    const app = express();
    app.use(router);
    app.use(errorHandler(silentLogger, []));
    const listener = app.listen(0, "127.0.0.1");
    await new Promise<void>((resolve) => listener.once("listening", resolve));
    try {
      const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/probe/p1`;
      const ok = await fetch(`${base}?limit=3&limit=7&bogus=1&tag=a&tag=b`);
      expect(ok.status).toBe(200);
      expect(seen).toEqual({
        item: "p1",
        other: undefined,
        limit: 7,
        tags: ["a", "b"],
        all: { limit: 7, offset: 0, tag: ["a", "b"] },
        bogus: undefined,
      });
      seen = null;
      const bad = await fetch(`${base}?limit=0`);
      expect(bad.status).toBe(422);
      expect(seen, "the handler never runs on a refused query").toBeNull();
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });

  it("path parameters are typed from the template: one string each, a list for the wildcard", () => {
    interface Media {
      readonly method: "get";
      readonly path: "/media/{kind}/{path}";
      readonly wildcard: "path";
      readonly operationId: "m";
      readonly summary: "m";
      readonly tags: [];
      readonly responses: Record<string, never>;
    }
    const params: ParamsOf<Media> = { kind: "images", path: ["a", "b.png"] };
    // @ts-expect-error the wildcard is a list of segments, not a string.
    const wrong: ParamsOf<Media> = { kind: "images", path: "a/b.png" };
    expect(Object.keys(params).sort()).toEqual(["kind", "path"]);
    expect(wrong.kind).toBe("images");
  });

  it("an undeclared query parameter no longer filters a real route (conversations read an undocumented entity_id)", async () => {
    const plain = await fetch(`${server.url}/datasets/${DS}/conversations`);
    const withUndeclared = await fetch(`${server.url}/datasets/${DS}/conversations?entity_id=nope`);
    expect(withUndeclared.status).toBe(plain.status);
    expect(await withUndeclared.json()).toEqual(await plain.json());
  });
});

describe("malformed JSON is located by walking it, not by reading the engine's message", () => {
  // (text, Python 3.11 json.JSONDecodeError msg, pos), as FastAPI reports them.
  const PYTHON: readonly (readonly [string, string, number])[] = [
    ['{"big": 12345678901234567,}', "Expecting property name enclosed in double quotes", 26],
    ["[1,]", "Expecting value", 3],
    ["", "Expecting value", 0],
    ["  ", "Expecting value", 2],
    ['{"a" 1}', "Expecting ':' delimiter", 5],
    ['{"a":1 "b":2}', "Expecting ',' delimiter", 7],
    ["[1 2]", "Expecting ',' delimiter", 3],
    ['"abc', "Unterminated string starting at", 0],
    ['"a\\x"', "Invalid \\escape", 2],
    ['"a\\u12"', "Invalid \\uXXXX escape", 3],
    ['"a\nb"', "Invalid control character at", 2],
    ["1 2", "Extra data", 2],
    ["[01]", "Expecting ',' delimiter", 2],
    ["01", "Extra data", 1],
    ["-", "Expecting value", 0],
    ["tru", "Expecting value", 0],
    ["{1:2}", "Expecting property name enclosed in double quotes", 1],
    ["[", "Expecting value", 1],
    ['{"a":', "Expecting value", 5],
    ["-1.", "Extra data", 2],
    ["1e", "Extra data", 1],
  ];

  it("finds Python's message and position for each malformed text, and nothing in well-formed ones", () => {
    for (const [text, msg, pos] of PYTHON) expect([text, locateJsonSyntaxError(text)]).toEqual([text, { msg, pos }]);
    for (const text of ['{"a":[1,2,{"b":null}],"c":"\\u00e9"}', "[]", " { } ", "-0.5e+3", "true"])
      expect(locateJsonSyntaxError(text), text).toBeNull();
    expect(locateJsonSyntaxError(`${"[".repeat(200_000)}${"]".repeat(200_000)}`)).toBeNull();
    expect(locateJsonSyntaxError(`${"[".repeat(200_000)}}`)).toEqual({ msg: "Expecting value", pos: 200_000 });
  });

  it("a real server answers FastAPI's json_invalid 422 with Python's position and message", async () => {
    const r = await fetch(`${server.url}/datasets/${DS}/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"id": "x" "split": "a"}',
    });
    expect(r.status).toBe(422);
    const body = (await r.json()) as { detail: unknown[] };
    expect(body.detail).toEqual([
      {
        type: "json_invalid",
        loc: ["body", 11],
        msg: "JSON decode error",
        input: {},
        ctx: { error: "Expecting ',' delimiter" },
      },
    ]);
    expect((await fetch(`${server.url}/datasets/${DS}/records/r1`)).status).toBe(200);
  });
});

describe("locating a syntax error in a large body", () => {
  it("a 5 MB body broken at its end is located in bounded time, and the server keeps serving (p50/p99 printed)", async () => {
    const items = Array.from(
      { length: 60_000 },
      (_, i) => `{"id":"r${i}","comment":"${"x".repeat(40)}","n":[1,2.5,true,null]}`,
    );
    const text = `[${items.join(",")},]`;
    const times: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t0 = performance.now();
      const r = await fetch(`${server.url}/datasets/${DS}/records`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: text,
      });
      times.push(performance.now() - t0);
      expect(r.status).toBe(422);
      const detail = ((await r.json()) as { detail: { loc: unknown[]; ctx: unknown }[] }).detail;
      expect(detail[0]?.loc).toEqual(["body", text.length - 1]);
      expect(detail[0]?.ctx).toEqual({ error: "Expecting value" });
      expect((await fetch(`${server.url}/datasets/${DS}/records/r1`)).status).toBe(200);
    }
    times.sort((x, y) => x - y);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    console.log(
      `malformed ${(text.length / 1e6).toFixed(1)} MB body → 422: p50=${p50.toFixed(1)} ms p99=${p99.toFixed(1)} ms`,
    );
    // Generous for a loaded 2-core machine: the walk is linear, a few tens of ms per MB.
    expect(p99).toBeLessThan(3000);
  });
});

describe("auth handlers keep only what their schema cannot express", () => {
  const ADMIN = { username: "admin", password: "contract-once-admin-pw" };
  let authServer: ServerProcess;

  beforeAll(async () => {
    authServer = await spawnServer(root.dataDir, {
      TESSERA_AUTH: "on",
      TESSERA_ADMIN_USER: ADMIN.username,
      TESSERA_ADMIN_PASSWORD: ADMIN.password,
    });
  }, 60_000);

  afterAll(async () => {
    await authServer?.stop();
  });

  const login = (body: unknown) =>
    fetch(`${authServer.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("a login's over-long username or password is the schema's coded string_too_long, the password never echoed", async () => {
    const longName = await login({ username: "a".repeat(LOGIN_USERNAME_MAX + 1), password: "x" });
    expect(longName.status).toBe(422);
    expect(((await longName.json()) as { detail: unknown[] }).detail).toEqual([
      expect.objectContaining({
        type: "string_too_long",
        loc: ["body", "username"],
        ctx: { max_length: LOGIN_USERNAME_MAX },
      }),
    ]);
    const longPassword = await login({ username: ADMIN.username, password: "p".repeat(PASSWORD_MAX + 1) });
    expect(longPassword.status).toBe(422);
    const text = await longPassword.text();
    expect(text).not.toContain("ppppp");
    expect((JSON.parse(text) as { detail: unknown[] }).detail).toEqual([
      expect.objectContaining({ type: "string_too_long", loc: ["body", "password"], input: "…" }),
    ]);
    // A well-formed login still works after both refusals.
    expect((await login(ADMIN)).status).toBe(200);
  });

  it("a token name that is blank once trimmed is still refused (a rule the schema cannot state)", async () => {
    const session = (await login(ADMIN)).headers.get("set-cookie")?.split(";")[0] ?? "";
    const create = (body: unknown) =>
      fetch(`${authServer.url}/auth/tokens`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie: session, origin: authServer.url },
        body: JSON.stringify(body),
      });
    const blank = await create({ name: "   " });
    expect(blank.status).toBe(422);
    expect(((await blank.json()) as { detail: { type: string }[] }).detail[0]?.type).toBe("string_too_short");
    const ok = await create({ name: " ci ", expires_in_days: 2 });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ name: "ci", token: expect.any(String) });
  });
});

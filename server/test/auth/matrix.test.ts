import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, routeTableOf, type RunningServer } from "../../src/index.js";
import { createLibraryAdapter } from "../../src/library/datasetLibrary.js";
import { datasetParamOf, PERMISSIONS, ruleOf, type Rule } from "../../src/auth/index.js";
import type { RouteSpec } from "../../src/http/routeTable.js";
import { silentLogger } from "../../src/logger.js";
import { ACCOUNTS, ADMIN, bearer, buildDataDir, call, DS, seedUsers, startAuthServer, tokenFor } from "./support.js";

/**
 * The permission matrix: every REST route of the route table × every
 * principal — nobody, each global role, and two per-dataset overrides — asserting allowed or
 * refused. Requests are built so an allowed one stops at validation or 404 (nothing changes);
 * a refusal is the guard's: 401 for nobody, 403 "Forbidden: this needs …" for a weak role.
 */

type Who = "anonymous" | "viewer" | "annotator" | "reviewer" | "admin" | "dsannotator" | "dsviewer";
const WHO: readonly Who[] = ["anonymous", "viewer", "annotator", "reviewer", "admin", "dsannotator", "dsviewer"];
const RANK = ["viewer", "annotator", "reviewer", "admin"];
/** Each principal's role on DS and globally. */
const ROLE_ON_DS: Record<Who, string | null> = {
  anonymous: null,
  viewer: "viewer",
  annotator: "annotator",
  reviewer: "reviewer",
  admin: "admin",
  dsannotator: "annotator",
  dsviewer: "viewer",
};
const GLOBAL_ROLE: Record<Who, string | null> = {
  anonymous: null,
  viewer: "viewer",
  annotator: "annotator",
  reviewer: "reviewer",
  admin: "admin",
  dsannotator: "viewer",
  dsviewer: "reviewer",
};

function expectedAllowed(rule: Rule, who: Who): boolean {
  if (rule.access === "public") return true;
  if (who === "anonymous") return false;
  if (rule.access === "signed-in") return true;
  const role = rule.access === "dataset" ? ROLE_ON_DS[who] : GLOBAL_ROLE[who];
  return role !== null && RANK.indexOf(role) >= RANK.indexOf(rule.min);
}

/** A concrete request for a route: path parameters filled so that nothing changes when allowed. */
function requestFor(spec: RouteSpec): { path: string; init: RequestInit } {
  const dsParam = datasetParamOf(spec.path);
  const path = spec.path.replace(/\{([A-Za-z_]+)\}/g, (_m, name: string) => {
    if (name === dsParam) return DS;
    if (name === "record_id") return "r1";
    if (name === "path") return "nothing-here.png";
    return "no-such-thing";
  });
  const method = spec.method.toUpperCase();
  if (method === "GET" || method === "DELETE") return { path, init: { method } };
  return { path, init: { method, headers: { "content-type": "application/json" }, body: "{}" } };
}

let data: Awaited<ReturnType<typeof buildDataDir>>;
let server: RunningServer;
const headersOf: Partial<Record<Who, Record<string, string>>> = {};

beforeAll(async () => {
  data = await buildDataDir(["r1", "r2"]);
  await seedUsers(data.dataDir);
  server = await startAuthServer(data.dataDir);
  headersOf.anonymous = {};
  headersOf.admin = bearer(await tokenFor(server.url, ADMIN.username, ADMIN.password));
  for (const name of Object.keys(ACCOUNTS)) headersOf[name as Who] = bearer(await tokenFor(server.url, name));
});

afterAll(async () => {
  await server?.close();
  await data?.cleanup();
});

describe("permission table", () => {
  it("has exactly one rule per route of the route table (a new route without a rule fails here)", () => {
    const app = createApp({
      library: createLibraryAdapter(data.dataDir, { logger: silentLogger }),
      dataDir: data.dataDir,
    });
    const ops = routeTableOf(app).routes.map((r) => r.operationId);
    const missing = ops.filter((op) => !ruleOf(op).listed);
    expect(missing, "routes without a permission rule in server/src/auth/permissions.ts").toEqual([]);
    const stale = Object.keys(PERMISSIONS).filter((op) => !ops.includes(op));
    expect(stale, "rules for routes that no longer exist").toEqual([]);
    expect(ops.length).toBeGreaterThan(100);
  });

  it("every dataset rule names a route with a dataset parameter", () => {
    const app = createApp({
      library: createLibraryAdapter(data.dataDir, { logger: silentLogger }),
      dataDir: data.dataDir,
    });
    for (const spec of routeTableOf(app).routes) {
      if (ruleOf(spec.operationId).rule.access === "dataset")
        expect(datasetParamOf(spec.path), spec.operationId).not.toBeNull();
    }
  });

  it("independent invariants: strangers reach only the health check and the login; viewers never write a dataset", () => {
    const app = createApp({
      library: createLibraryAdapter(data.dataDir, { logger: silentLogger }),
      dataDir: data.dataDir,
    });
    const routes = routeTableOf(app).routes;
    const publicOps = routes.filter((r) => ruleOf(r.operationId).rule.access === "public").map((r) => r.operationId);
    expect(publicOps.sort()).toEqual(["auth_login", "health_check"]);
    for (const r of routes) {
      const rule = ruleOf(r.operationId).rule;
      // Pixano's semantic search is a POST that only reads (its body carries the query).
      if (r.method !== "get" && datasetParamOf(r.path) !== null && r.operationId !== "search_records")
        expect(expectedAllowed(rule, "viewer"), `${r.operationId} must be refused to viewers`).toBe(false);
      if (r.method === "get" && datasetParamOf(r.path) !== null)
        expect(expectedAllowed(rule, "viewer"), `${r.operationId} must be open to viewers`).toBe(true);
      if (r.path.startsWith("/users")) expect(rule, r.operationId).toEqual({ access: "global", min: "admin" });
    }
    expect(ruleOf("create_record").rule).toEqual({ access: "dataset", min: "admin" });
    expect(ruleOf("delete_record").rule).toEqual({ access: "dataset", min: "admin" });
    expect(ruleOf("create_bbox").rule).toEqual({ access: "dataset", min: "annotator" });
    expect(ruleOf("record_workflow").rule).toEqual({ access: "dataset", min: "annotator" });
  });
});

describe("REST matrix: every route × every principal", () => {
  it("allows exactly what the table says and refuses the rest with 401 / 403", async () => {
    const app = createApp({
      library: createLibraryAdapter(data.dataDir, { logger: silentLogger }),
      dataDir: data.dataDir,
    });
    const routes = routeTableOf(app).routes;
    const failures: string[] = [];
    let cells = 0;
    for (const spec of routes) {
      const { path, init } = requestFor(spec);
      const rule = ruleOf(spec.operationId).rule;
      await Promise.all(
        WHO.map(async (who) => {
          const r = await call(`${server.url}${path}`, {
            ...init,
            headers: { ...(init.headers as Record<string, string> | undefined), ...headersOf[who] },
          });
          cells++;
          const refusedByGuard =
            r.status === 401 ||
            (r.status === 403 &&
              typeof r.body?.detail === "string" &&
              r.body.detail.startsWith("Forbidden: this needs"));
          const allowed = expectedAllowed(rule, who);
          // A route documenting 501 (Pixano's unimplemented /io/* job actions) answers it to whoever may call it.
          if (r.status >= 500 && !(r.status === 501 && "501" in spec.responses))
            failures.push(`${spec.operationId} × ${who}: ${r.status} ${r.text.slice(0, 120)}`);
          else if (allowed && refusedByGuard)
            failures.push(`${spec.operationId} × ${who}: refused (${r.status}) but the table allows it`);
          else if (!allowed && !refusedByGuard)
            failures.push(`${spec.operationId} × ${who}: answered ${r.status} but should be refused`);
          else if (!allowed && who === "anonymous" && r.status !== 401)
            failures.push(`${spec.operationId} × anonymous: ${r.status} instead of 401`);
          else if (!allowed && who !== "anonymous" && r.status !== 403)
            failures.push(`${spec.operationId} × ${who}: ${r.status} instead of 403`);
        }),
      );
    }
    expect(failures).toEqual([]);
    expect(cells).toBe(routes.length * WHO.length);
    console.log(`permission matrix: ${routes.length} routes × ${WHO.length} principals = ${cells} cells checked`);
  });

  it("a 401 says how to authenticate; a dead cookie is cleared", async () => {
    const r = await call(`${server.url}/datasets`);
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(r.body).toEqual({ detail: "Authentication required." });
    const dead = await call(`${server.url}/datasets`, { headers: { cookie: `tessera_session=${"A".repeat(43)}` } });
    expect(dead.status).toBe(401);
    expect(dead.headers.get("set-cookie")).toMatch(/^tessera_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/);
  });
});

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, createLibraryAdapter, silentLogger, type RunningServer } from "../../src/index.js";
import { call, start } from "./harness.js";
import { buildTestDataDir, IMG_ID, type TestDataDir } from "./testLibrary.js";

let data: TestDataDir;
let server: RunningServer;

beforeAll(async () => {
  data = await buildTestDataDir();
  server = await start(data.dataDir);
});

afterAll(async () => {
  await server?.close();
  await data?.cleanup();
});

interface Layer {
  route?: { path: string | RegExp; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every (METHOD, path) Express has registered, walking nested routers. */
function expressRoutes(stack: readonly Layer[]): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  for (const layer of stack) {
    if (layer.route) {
      if (typeof layer.route.path !== "string") continue;
      for (const [m, on] of Object.entries(layer.route.methods))
        if (on && m !== "_all") out.push({ method: m, path: layer.route.path });
    } else if (layer.handle?.stack) {
      out.push(...expressRoutes(layer.handle.stack));
    }
  }
  return out;
}

/** `/a/:b/*c` → `/a/{b}/{c}`. */
function toTemplate(expressPath: string): string {
  return expressPath.replace(/[:*]([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
}

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document with Pixano's operations", async () => {
    const r = await call(`${server.url}/openapi.json`);
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    const paths = r.body.paths as Record<
      string,
      Record<string, { operationId: string; parameters: { name: string; in: string }[] }>
    >;
    expect(paths["/datasets/{dataset_id}/records"]?.get?.operationId).toBe("list_records");
    expect(paths["/datasets/{dataset_id}/bboxes/{id}"]?.put?.operationId).toBe("replace_bbox");
    expect(paths["/datasets/{dataset_id}/embeddings/{id}"]?.put).toBeUndefined();
    expect(paths["/datasets/{dataset_id}/records/{record_id}/sframes/batch"]?.get?.operationId).toBe(
      "get_record_sframe_batch",
    );
    const listParams = paths["/datasets/{dataset_id}/records"]?.get?.parameters.map((p) => `${p.in}:${p.name}`);
    expect(listParams).toEqual(
      expect.arrayContaining([
        "path:dataset_id",
        "query:limit",
        "query:offset",
        "query:filter",
        "query:q",
        "query:sort",
        "query:order",
        "query:include",
      ]),
    );
    const ops = Object.values(paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(new Set(ops).size).toBe(ops.length);
  });

  it("derives component schemas from the shared table definitions", async () => {
    const schemas = (await call(`${server.url}/openapi.json`)).body.components.schemas;
    expect(Object.keys(schemas.BBoxResponse.properties)).toEqual([
      "id",
      "record_id",
      "entity_id",
      "source_type",
      "source_name",
      "source_metadata",
      "view_id",
      "tracklet_id",
      "entity_dynamic_state_id",
      "frame_id",
      "frame_index",
      "coords",
      "format",
      "is_normalized",
      "confidence",
    ]);
    expect(schemas.BBoxResponse.properties.coords).toEqual({ type: "array", items: { type: "number" }, default: [] });
    expect(schemas.BBoxCreate.required).toEqual(["id"]);
    expect(schemas.RecordCreate.properties.created_at).toBeUndefined();
    expect(schemas.MaskResponse.properties.counts).toEqual({ type: "string", default: "" });
    expect(schemas.EmbeddingResponse.properties.vector).toBeUndefined();
    expect(schemas.RecordUpdate.properties.id).toBeUndefined();
  });

  it("documents every route Express serves, and nothing else", async () => {
    const data2 = data.dataDir;
    const app = createApp({ library: createLibraryAdapter(data2, { logger: silentLogger }), dataDir: data2 });
    const doc = (await call(`${server.url}/openapi.json`)).body as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)),
    );
    const served = expressRoutes((app as unknown as { router: { stack: Layer[] } }).router.stack)
      .filter((r) => r.path !== "/")
      .map((r) => `${r.method} ${toTemplate(r.path)}`);
    expect(served.length).toBeGreaterThan(60);
    for (const route of served) expect(documented, route).toContain(route);
    expect(new Set(served)).toEqual(documented);
  });
});

describe("GET /", () => {
  it("without a built client, lists the datasets with links to the API", async () => {
    const r = await fetch(`${server.url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expect(r.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await r.text();
    expect(html).toContain("Image DS");
    expect(html).toContain(`/datasets/${IMG_ID}/info`);
    expect(html).toContain("/openapi.json");
    const other = await call(`${server.url}/explorer/x`);
    expect(other.status).toBe(404);
  });

  it("with a built client, serves it and redirects unknown non-API paths to its hash routes", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "tessera-client-"));
    try {
      await mkdir(path.join(dir, "assets"));
      await writeFile(path.join(dir, "index.html"), "<!doctype html><title>client</title>");
      await writeFile(path.join(dir, "assets", "app.js"), "console.log(1)");
      const withClient = await start(data.dataDir, { clientDir: dir });
      try {
        const index = await fetch(`${withClient.url}/`);
        expect(await index.text()).toContain("<title>client</title>");
        expect(index.headers.get("content-security-policy")).toContain("script-src 'self'");
        const asset = await fetch(`${withClient.url}/assets/app.js`);
        expect(asset.status).toBe(200);
        expect(await asset.text()).toBe("console.log(1)");
        const redirect = await fetch(`${withClient.url}/explorer/${IMG_ID}?page=2`, { redirect: "manual" });
        expect(redirect.status).toBe(307);
        expect(redirect.headers.get("location")).toBe(`/#/explorer/${IMG_ID}?page=2`);
        const api = await call(`${withClient.url}/datasets/${IMG_ID}/nothing-here`);
        expect(api.status).toBe(404);
        expect(api.body).toEqual({ detail: "Not Found" });
      } finally {
        await withClient.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

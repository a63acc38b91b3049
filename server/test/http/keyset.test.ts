import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/index.js";
import { call, start } from "./harness.js";
import { buildTestDataDir, IMG_ID, type TestDataDir } from "./testLibrary.js";

/** Keyset pagination (`after=`) next to Pixano's `offset` on the REST listings. */
let data: TestDataDir;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  data = await buildTestDataDir();
  server = await start(data.dataDir);
  base = `${server.url}/datasets/${IMG_ID}`;
});

afterAll(async () => {
  await server?.close();
  await data?.cleanup();
});

const ids = (body: { items: { id: string }[] }) => body.items.map((r) => r.id);

/** Walks a listing by cursor, `limit` rows at a time, starting from an empty cursor. */
async function walk(url: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let after = "";
  for (let guard = 0; guard < 100; guard++) {
    const sep = url.includes("?") ? "&" : "?";
    const r = await call(`${url}${sep}limit=${limit}&after=${encodeURIComponent(after)}`);
    expect(r.status).toBe(200);
    const page = ids(r.body);
    out.push(...page);
    if (page.length < limit) return out;
    after = page.at(-1) ?? "";
  }
  throw new Error("the walk did not end");
}

describe("after= cursor on the REST listings", () => {
  it("records: the rows after the cursor in the listing's order, with offset counting from there", async () => {
    const r = await call(`${base}/records?limit=2&after=r1`);
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual(["r2", "r3"]);
    // total is the filtered set's, as with offset pages; the response keeps Pixano's keys.
    expect(r.body).toMatchObject({ total: 5, limit: 2, offset: 0 });
    expect(Object.keys(r.body)).toEqual(["items", "total", "limit", "offset"]);
    const skipped = await call(`${base}/records?limit=2&after=r1&offset=1`);
    expect(ids(skipped.body)).toEqual(["r3", "r4"]);
  });

  it("records: a cursor walk in a sorted order visits every record once, as the offset pages do", async () => {
    const all = await call(`${base}/records?limit=100&sort=quality&order=desc`);
    const expected = ids(all.body);
    const walked: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10 && walked.length < expected.length; guard++) {
      const cursor: string = after === null ? "" : `&after=${after}`;
      const r = await call(`${base}/records?limit=2&sort=quality&order=desc${cursor}`);
      walked.push(...ids(r.body));
      after = ids(r.body).at(-1) ?? null;
    }
    expect(walked).toEqual(expected);
  });

  it("records: a cursor that names no record is a 400 with a detail, not an empty page", async () => {
    const r = await call(`${base}/records?limit=2&sort=quality&after=no-such-record`);
    expect(r.status).toBe(400);
    expect(String(r.body.detail)).toContain("no-such-record");
  });

  it("annotations, entities and views: a cursor walk returns every row once, in id order", async () => {
    for (const resource of ["entities", "bboxes", "images"]) {
      const offsetPages = await call(`${base}/${resource}?limit=1000`);
      const expected = ids(offsetPages.body).sort();
      expect(expected.length, resource).toBeGreaterThan(1);
      expect(await walk(`${base}/${resource}`, 1), resource).toEqual(expected);
    }
  });

  it("entities: a cursor combines with the listing's filters", async () => {
    const r = await call(`${base}/entities?record_id=r0&limit=10&after=ent-0`);
    expect(r.status).toBe(200);
    expect(ids(r.body)).toEqual(["ent-1", "ent-3"]);
  });

  it("openapi documents after= on every paginated listing", async () => {
    const spec = (await call(`${server.url}/openapi.json`)).body as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    let paginatedRoutes = 0;
    for (const ops of Object.values(spec.paths))
      for (const op of Object.values(ops)) {
        const names = (op.parameters ?? []).map((p) => p.name);
        if (names.includes("offset")) {
          paginatedRoutes++;
          expect(names).toContain("after");
        }
      }
    expect(paginatedRoutes).toBeGreaterThan(5);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/index.js";
import { call, jsonInit, start } from "./harness.js";
import { buildTestDataDir, IMG_ID, type TestDataDir } from "./testLibrary.js";

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

describe("GET /datasets/{id}/records", () => {
  it("pages records by id with Pixano's record shape (base fields, then custom ones)", async () => {
    const r = await call(`${base}/records?limit=2`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["items", "total", "limit", "offset"]);
    expect(r.body).toMatchObject({ total: 5, limit: 2, offset: 0 });
    expect(ids(r.body)).toEqual(["r0", "r1"]);
    expect(Object.keys(r.body.items[0])).toEqual([
      "id",
      "split",
      "created_at",
      "updated_at",
      "status",
      "comment",
      "weather",
      "capture_hour",
      "quality",
      "is_synthetic",
    ]);
    expect(r.body.items[0].created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(r.body.items[0].view_previews).toBeUndefined();
    const page2 = await call(`${base}/records?limit=2&offset=4`);
    expect(ids(page2.body)).toEqual(["r4"]);
    expect(page2.body).toMatchObject({ total: 5, limit: 2, offset: 4 });
  });

  it("writes floats as floats (Python's 0.0, not 0)", async () => {
    const r = await call(`${base}/records?limit=1`);
    expect(r.text).toContain('"quality":0.0');
    expect(r.body.items[0].quality).toBe(0);
  });

  it("refuses out-of-range pagination with FastAPI's 422 items", async () => {
    const zero = await call(`${base}/records?limit=0`);
    expect(zero.status).toBe(422);
    expect(zero.body).toEqual({
      detail: [
        {
          type: "greater_than_equal",
          loc: ["query", "limit"],
          msg: "Input should be greater than or equal to 1",
          input: "0",
          ctx: { ge: 1 },
        },
      ],
    });
    const big = await call(`${base}/records?limit=1001`);
    expect(big.status).toBe(422);
    expect(big.body.detail[0]).toMatchObject({ type: "less_than_equal", loc: ["query", "limit"], ctx: { le: 1000 } });
    const neg = await call(`${base}/records?offset=-1`);
    expect(neg.status).toBe(422);
    expect(neg.body.detail[0]).toMatchObject({ type: "greater_than_equal", loc: ["query", "offset"], ctx: { ge: 0 } });
    const nan = await call(`${base}/records?limit=abc&offset=x`);
    expect(nan.status).toBe(422);
    expect(nan.body.detail.map((d: { loc: string[] }) => d.loc[1])).toEqual(["limit", "offset"]);
    expect(nan.body.detail[0].type).toBe("int_parsing");
    expect((await call(`${base}/records?limit=1000`)).status).toBe(200);
  });

  it("filters with the structured grammar", async () => {
    expect(ids((await call(`${base}/records?filter=split:eq:val`)).body)).toEqual(["r3", "r4"]);
    expect(ids((await call(`${base}/records?filter=weather:in:sunny,foggy`)).body)).toEqual(["r0", "r2", "r3"]);
    expect(ids((await call(`${base}/records?filter=capture_hour:gte:10&filter=is_synthetic:eq:true`)).body)).toEqual([
      "r3",
    ]);
    expect(ids((await call(`${base}/records?filter=quality:lt:0.5`)).body)).toEqual(["r0", "r1"]);
    expect(ids((await call(`${base}/records?filter=weather:contains:un`)).body)).toEqual(["r0", "r3"]);
    expect((await call(`${base}/records?filter=status:ne:new`)).body.total).toBe(1);
  });

  it("refuses bad filters with a 400 naming the problem", async () => {
    const unknown = await call(`${base}/records?filter=nosuchcolumn:eq:1`);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      detail: "Unknown column 'nosuchcolumn'. Call GET /datasets/{id}/filters for the list.",
    });
    const op = await call(`${base}/records?filter=quality:contains:1`);
    expect(op.status).toBe(400);
    expect(op.body.detail).toBe("Operator 'contains' is not valid for 'quality' (allowed: eq, ne, lt, lte, gt, gte).");
    expect((await call(`${base}/records?filter=capture_hour:eq:ten`)).body.detail).toBe(
      "'ten' is not a valid integer for column 'capture_hour'.",
    );
    expect((await call(`${base}/records?filter=is_synthetic:eq:maybe`)).status).toBe(400);
    expect((await call(`${base}/records?filter=created_at:gt:yesterday`)).status).toBe(400);
    expect((await call(`${base}/records?filter=broken`)).status).toBe(400);
    expect((await call(`${base}/records?filter=entities.category:eq:box`)).body.detail).toMatch(/Cross-table filters/);
    const nine = Array.from({ length: 9 }, () => "filter=split:eq:train").join("&");
    expect((await call(`${base}/records?${nine}`)).status).toBe(400);
  });

  it("searches free text over comment and custom string columns, case-insensitively", async () => {
    expect(ids((await call(`${base}/records?q=review`)).body)).toEqual(["r2"]);
    expect(ids((await call(`${base}/records?q=100%25`)).body)).toEqual(["r2"]);
    expect(ids((await call(`${base}/records?q=CLOUD`)).body)).toEqual(["r4"]);
    expect((await call(`${base}/records?q=${"x".repeat(257)}`)).status).toBe(400);
  });

  it("sorts on any scalar column, ties broken by id", async () => {
    expect(ids((await call(`${base}/records?sort=weather&order=desc`)).body)).toEqual(["r0", "r3", "r1", "r2", "r4"]);
    expect(ids((await call(`${base}/records?sort=capture_hour&order=desc&limit=2`)).body)).toEqual(["r4", "r3"]);
    expect((await call(`${base}/records?sort=nope`)).body.detail).toBe("Unknown sort column 'nope'.");
    expect((await call(`${base}/records?order=sideways`)).status).toBe(400);
  });

  it("parses the simple forms of the deprecated where and refuses anything else", async () => {
    expect(ids((await call(`${base}/records?where=${encodeURIComponent("split = 'val'")}`)).body)).toEqual([
      "r3",
      "r4",
    ]);
    expect(ids((await call(`${base}/records?where=${encodeURIComponent("capture_hour = 9")}`)).body)).toEqual(["r1"]);
    expect(
      ids((await call(`${base}/records?where=${encodeURIComponent("split = 'train' AND capture_hour > 8")}`)).body),
    ).toEqual(["r1", "r2"]);
    expect(
      ids((await call(`${base}/records?where=${encodeURIComponent("weather IN ('rainy','cloudy')")}`)).body),
    ).toEqual(["r1", "r4"]);
    for (const bad of [
      "1=1 OR 1=1",
      "split = 'a'; DROP TABLE records",
      "lower(weather) = 'x'",
      "split LIKE '%'",
      "split = 'x' OR split = 'y'",
    ]) {
      const r = await call(`${base}/records?where=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.detail, bad).toMatch(/use filter=col:op:value/);
    }
    expect((await call(`${base}/records?where=${encodeURIComponent("nosuch = 'x'")}`)).status).toBe(400);
  });

  it("adds view previews on request, after the base fields", async () => {
    const r = await call(`${base}/records?include=view_previews`);
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(r.body.items.map((i: { id: string }) => [i.id, i]));
    expect(Object.keys(byId.r0)).toEqual([
      "id",
      "split",
      "created_at",
      "updated_at",
      "status",
      "comment",
      "view_previews",
      "weather",
      "capture_hour",
      "quality",
      "is_synthetic",
    ]);
    expect(byId.r0.view_previews).toEqual({
      image: {
        resource: "images",
        id: "img-0",
        kind: "image",
        preview_url: `/datasets/${IMG_ID}/images/img-0/preview?size=256`,
      },
      text: {
        resource: "texts",
        id: "txt-0",
        kind: "text",
        preview_url: "",
        excerpt: "A red ball next to a box. Café ☕ au lait.",
      },
    });
    expect(byId.r3.view_previews.image.preview_url).toBe("https://example.org/x.jpg");
    expect(byId.r4.view_previews).toBeUndefined();
    const bad = await call(`${base}/records?include=everything`);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toBe("Unknown include value(s): everything. Allowed values: view_previews.");
  });

  it("404s an unknown dataset", async () => {
    expect((await call(`${server.url}/datasets/nope/records`)).status).toBe(404);
  });
});

describe("GET /datasets/{id}/records/{rid}", () => {
  it("returns one record", async () => {
    const r = await call(`${base}/records/r2`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: "r2",
      split: "train",
      weather: "foggy",
      capture_hour: 10,
      comment: "Needs REVIEW of the 100% box",
    });
  });

  it("404s an unknown record with Pixano's detail", async () => {
    const r = await call(`${base}/records/does-not-exist`);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ detail: "Resource 'does-not-exist' not found in 'records'." });
  });
});

describe("POST /datasets/{id}/records", () => {
  it("creates a record (201) with defaults and server timestamps", async () => {
    const r = await call(
      `${base}/records`,
      jsonInit("POST", { id: "new-1", weather: "windy", created_at: "1999-01-01T00:00:00", unknown_field: 3 }),
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      id: "new-1",
      split: "default",
      status: "new",
      comment: "",
      weather: "windy",
      capture_hour: 0,
      is_synthetic: false,
    });
    expect(r.body.created_at).not.toBe("1999-01-01T00:00:00");
    expect(r.body.unknown_field).toBeUndefined();
    expect((await call(`${base}/records/new-1`)).body.weather).toBe("windy");
  });

  it("is idempotent for an identical retry and answers 409 for a different row under the same id", async () => {
    const first = await call(`${base}/records`, jsonInit("POST", { id: "new-2", weather: "hail" }));
    expect(first.status).toBe(201);
    const again = await call(`${base}/records`, jsonInit("POST", { id: "new-2", weather: "hail" }));
    expect(again.status).toBe(201);
    expect(again.body.created_at).toBe(first.body.created_at);
    const clash = await call(`${base}/records`, jsonInit("POST", { id: "new-2", weather: "snow" }));
    expect(clash.status).toBe(409);
    expect(clash.body).toEqual({
      detail: { code: "id_conflict", message: "A different resource already exists with this id." },
    });
  });

  it("requires an id and well-typed fields (422, located)", async () => {
    const missing = await call(`${base}/records`, jsonInit("POST", { split: "train" }));
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toEqual([
      { type: "missing", loc: ["body", "id"], msg: "Field required", input: { split: "train" } },
    ]);
    const typed = await call(`${base}/records`, jsonInit("POST", { id: "bad", capture_hour: "ten", quality: "high" }));
    expect(typed.status).toBe(422);
    expect(typed.body.detail).toEqual([
      {
        type: "int_parsing",
        loc: ["body", "capture_hour"],
        msg: "Input should be a valid integer, unable to parse string as an integer",
        input: "ten",
      },
      {
        type: "float_parsing",
        loc: ["body", "quality"],
        msg: "Input should be a valid number, unable to parse string as a number",
        input: "high",
      },
    ]);
    const arr = await call(`${base}/records`, jsonInit("POST", [{ id: "x" }]));
    expect(arr.status).toBe(422);
    expect(arr.body.detail[0].type).toBe("model_attributes_type");
    const empty = await call(`${base}/records`, { method: "POST" });
    expect(empty.status).toBe(422);
    expect(empty.body.detail).toEqual([{ type: "missing", loc: ["body"], msg: "Field required", input: null }]);
  });
});

describe("PUT /datasets/{id}/records/{rid}", () => {
  it("merges a partial update, ignores nulls and the id, refreshes updated_at", async () => {
    const before = (await call(`${base}/records/r1`)).body;
    const r = await call(
      `${base}/records/r1`,
      jsonInit("PUT", { status: "inReview", comment: null, id: "hijack", weather: "stormy" }),
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: "r1",
      status: "inReview",
      weather: "stormy",
      comment: before.comment,
      created_at: before.created_at,
      capture_hour: before.capture_hour,
    });
    expect(r.body.updated_at >= before.updated_at).toBe(true);
    expect((await call(`${base}/records/hijack`)).status).toBe(404);
    expect((await call(`${base}/records/r1`)).body.status).toBe("inReview");
  });

  it("404s an unknown record and 422s wrong types", async () => {
    expect((await call(`${base}/records/ghost`, jsonInit("PUT", { status: "new" }))).status).toBe(404);
    const bad = await call(`${base}/records/r1`, jsonInit("PUT", { is_synthetic: "maybe" }));
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0]).toMatchObject({ type: "bool_parsing", loc: ["body", "is_synthetic"] }); // "yes" is true for pydantic (R-PIXANO)
  });
});

describe("DELETE /datasets/{id}/records/{rid}", () => {
  it("deletes the record and everything that hangs on it", async () => {
    const r = await call(`${base}/records/r0`, { method: "DELETE" });
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    expect((await call(`${base}/records/r0`)).status).toBe(404);
    for (const res of [
      "images",
      "texts",
      "entities",
      "bboxes",
      "masks",
      "keypoints",
      "multi-paths",
      "classifications",
      "relations",
      "messages",
      "text-spans",
    ]) {
      const list = await call(`${base}/${res}?record_id=r0`);
      expect(list.status, res).toBe(200);
      expect(list.body.total, res).toBe(0);
    }
    expect((await call(`${base}/bboxes/bb-2`)).status).toBe(200);
    expect((await call(`${base}/records/r0`, { method: "DELETE" })).status).toBe(404);
  });
});

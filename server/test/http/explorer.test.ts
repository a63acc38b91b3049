import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPS_BY_TYPE } from "@tessera/shared-crdt";
import type { RunningServer } from "../../src/index.js";
import { call, jsonInit, start } from "./harness.js";
import { buildTestDataDir, IMG_ID, VID_ID, type TestDataDir } from "./testLibrary.js";

let data: TestDataDir;
let server: RunningServer;
let img: string;

beforeAll(async () => {
  data = await buildTestDataDir();
  server = await start(data.dataDir);
  img = `${server.url}/datasets/${IMG_ID}`;
});

afterAll(async () => {
  await server?.close();
  await data?.cleanup();
});

describe("GET /datasets/{id}/filters", () => {
  it("publishes the record columns, base first then custom, with their operators", async () => {
    const r = await call(`${img}/filters`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["table", "columns", "search"]);
    expect(r.body.table).toBe("records");
    const cols = r.body.columns as Array<Record<string, unknown>>;
    expect(cols.map((c) => c.name)).toEqual([
      "comment",
      "created_at",
      "id",
      "split",
      "status",
      "updated_at",
      "capture_hour",
      "is_synthetic",
      "quality",
      "weather",
    ]);
    expect(Object.keys(cols[0]!)).toEqual([
      "name",
      "type",
      "collection",
      "source",
      "filterable",
      "sortable",
      "searchable",
      "indexed",
      "operators",
      "values_complete",
    ]);
    const by = Object.fromEntries(cols.map((c) => [c.name as string, c]));
    expect(by.comment).toMatchObject({ type: "str", source: "base", searchable: true, operators: OPS_BY_TYPE.str });
    expect(by.id).toMatchObject({ searchable: false });
    expect(by.created_at).toMatchObject({ type: "datetime", operators: OPS_BY_TYPE.datetime });
    expect(by.capture_hour).toMatchObject({ type: "int", source: "custom", operators: OPS_BY_TYPE.int });
    expect(by.quality).toMatchObject({ type: "float", operators: OPS_BY_TYPE.float });
    expect(by.is_synthetic).toMatchObject({ type: "bool", operators: OPS_BY_TYPE.bool });
    expect(by.weather).toMatchObject({ searchable: true, source: "custom" });
    expect(by.split).toMatchObject({ values: ["train", "val"], values_complete: true });
    expect(by.status).toMatchObject({ values: ["new", "validated"], values_complete: true });
    expect(by.weather?.values).toBeUndefined();
    expect(r.body.search).toEqual({
      modes: ["text"],
      models: [],
      status: "absent",
      embedded_rows: 0,
      total_records: 5,
    });
  });

  it("refreshes enumerated values after a write through the API", async () => {
    expect((await call(`${img}/records`, jsonInit("POST", { id: "r-test", split: "test" }))).status).toBe(201);
    const by = Object.fromEntries(
      ((await call(`${img}/filters`)).body.columns as Array<{ name: string }>).map((c) => [c.name, c]),
    );
    expect(by.split).toMatchObject({ values: ["test", "train", "val"] });
    expect((await call(`${img}/records/r-test`, { method: "DELETE" })).status).toBe(204);
  });

  it("describes a dataset without custom record fields and 404s unknown ones", async () => {
    const v = await call(`${server.url}/datasets/${VID_ID}/filters`);
    expect(v.body.columns.map((c: { name: string }) => c.name)).toEqual([
      "comment",
      "created_at",
      "id",
      "split",
      "status",
      "updated_at",
    ]);
    expect((await call(`${server.url}/datasets/nope/filters`)).status).toBe(404);
  });
});

describe("GET /datasets/{id}/records/{rid}/neighbors", () => {
  it("gives previous/next ids and the 1-based position in id order by default", async () => {
    expect((await call(`${img}/records/r0/neighbors`)).body).toEqual({ prev: null, next: "r1", position: 1, total: 5 });
    expect((await call(`${img}/records/r2/neighbors`)).body).toEqual({ prev: "r1", next: "r3", position: 3, total: 5 });
    expect((await call(`${img}/records/r4/neighbors`)).body).toEqual({ prev: "r3", next: null, position: 5, total: 5 });
  });

  it("navigates inside the filtered, sorted set", async () => {
    expect((await call(`${img}/records/r3/neighbors?filter=split:eq:val`)).body).toEqual({
      prev: null,
      next: "r4",
      position: 1,
      total: 2,
    });
    // weather desc, ties by id: r0 sunny, r3 sunny, r1 rainy, r2 foggy, r4 cloudy
    expect((await call(`${img}/records/r3/neighbors?sort=weather&order=desc`)).body).toEqual({
      prev: "r0",
      next: "r1",
      position: 2,
      total: 5,
    });
    expect((await call(`${img}/records/r2/neighbors?q=review`)).body).toEqual({
      prev: null,
      next: null,
      position: 1,
      total: 1,
    });
    expect(
      (await call(`${img}/records/r1/neighbors?where=${encodeURIComponent("split = 'train'")}`)).body,
    ).toMatchObject({ prev: "r0", next: "r2", total: 3 });
  });

  it("answers null neighbours for a record outside the set, and 400s bad queries", async () => {
    expect((await call(`${img}/records/r0/neighbors?filter=split:eq:val`)).body).toEqual({
      prev: null,
      next: null,
      position: null,
      total: 2,
    });
    expect((await call(`${img}/records/ghost/neighbors`)).body).toEqual({
      prev: null,
      next: null,
      position: null,
      total: 5,
    });
    expect((await call(`${img}/records/r0/neighbors?filter=nope:eq:1`)).status).toBe(400);
    expect((await call(`${img}/records/r0/neighbors?sort=nope`)).status).toBe(400);
    expect((await call(`${server.url}/datasets/nope/records/r0/neighbors`)).status).toBe(404);
  });
});

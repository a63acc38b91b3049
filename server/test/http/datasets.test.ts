import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/index.js";
import { call, start } from "./harness.js";
import { buildTestDataDir, IMG_ID, VID_ID, type TestDataDir } from "./testLibrary.js";

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

const INFO_KEYS = [
  "id",
  "name",
  "description",
  "size",
  "preview",
  "creation_date",
  "bookmarks",
  "workspace",
  "storage_mode",
  "spec_version",
  "record",
  "entity",
  "entity_dynamic_state",
  "bbox",
  "mask",
  "multi_path",
  "keypoint",
  "classification",
  "relation",
  "tracklet",
  "message",
  "timeseries",
  "text_span",
  "views",
  "num_records",
];

describe("GET /health", () => {
  it("answers ok", async () => {
    const r = await call(`${server.url}/health`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: "ok" });
  });
});

describe("GET /datasets", () => {
  it("lists every dataset in folder order with Pixano 0.8's keys, record counts and a mosaic", async () => {
    const r = await call(`${server.url}/datasets`);
    expect(r.status).toBe(200);
    expect(r.body.map((d: { id: string }) => d.id)).toEqual([IMG_ID, VID_ID]);
    const [img, vid] = r.body;
    expect(Object.keys(img)).toEqual(INFO_KEYS);
    expect(img.num_records).toBe(5);
    expect(vid.num_records).toBe(2);
    expect(img.preview).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    expect(img.record).toMatchObject({ base: "Record", name: "TestRecord" });
    expect(img.entity_dynamic_state).toBeNull();
    expect(img.views).toEqual({ image: { base: "Image", fields: {} }, text: { base: "Text", fields: {} } });
    expect(img.bookmarks).toEqual([]);
    expect(img.spec_version).toBe(2);
  });

  it("reflects records added through the API", async () => {
    const before = (await call(`${server.url}/datasets/${IMG_ID}/info`)).body.num_records;
    const created = await call(`${server.url}/datasets/${IMG_ID}/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "count-probe" }),
    });
    expect(created.status).toBe(201);
    expect((await call(`${server.url}/datasets/${IMG_ID}/info`)).body.num_records).toBe(before + 1);
    expect((await call(`${server.url}/datasets/${IMG_ID}/records/count-probe`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`${server.url}/datasets`)).body[0].num_records).toBe(before);
  });
});

describe("GET /datasets/{id}/info", () => {
  it("gives one dataset's info", async () => {
    const r = await call(`${server.url}/datasets/${VID_ID}/info`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(INFO_KEYS);
    expect(r.body).toMatchObject({ id: VID_ID, name: "Video DS", workspace: "video", num_records: 2 });
    expect(r.body.preview).toMatch(/^data:image\/jpeg;base64,/);
  });

  it("404s an unknown dataset with FastAPI's detail", async () => {
    const r = await call(`${server.url}/datasets/nope/info`);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ detail: "Dataset 'nope' not found." });
  });
});

describe("GET /datasets/{id}/stats", () => {
  it("counts rows per table grouped by schema group, records excluded", async () => {
    const r = await call(`${server.url}/datasets/${IMG_ID}/stats`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      views: { images: 4, texts: 1 },
      entities: { entities: 4 },
      annotations: {
        bboxes: 3,
        masks: 1,
        keypoints: 1,
        multi_paths: 1,
        text_spans: 1,
        messages: 3,
        classifications: 1,
        relations: 1,
      },
    });
    const v = await call(`${server.url}/datasets/${VID_ID}/stats`);
    expect(v.body).toEqual({
      views: { sequence_frames: 7, videos: 2 },
      entities: { entities: 2 },
      entity_dynamic_states: { entity_dynamic_states: 1 },
      annotations: { bboxes: 3, tracklets: 2 },
    });
  });

  it("404s an unknown dataset", async () => {
    expect((await call(`${server.url}/datasets/nope/stats`)).status).toBe(404);
  });
});

describe("GET /datasets/info/{id}/splits", () => {
  it("counts records per split and status", async () => {
    const r = await call(`${server.url}/datasets/info/${IMG_ID}/splits`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual([
      { split: "train", status: "new", count: 3 },
      { split: "val", status: "new", count: 1 },
      { split: "val", status: "validated", count: 1 },
    ]);
  });
});

describe("PATCH /datasets/info/{id}/bookmark", () => {
  it("toggles a bookmark in info.json", async () => {
    const on = await call(`${server.url}/datasets/info/${VID_ID}/bookmark?bookmark=FAVORITE`, { method: "PATCH" });
    expect(on.status).toBe(200);
    expect(on.body.bookmarks).toEqual(["FAVORITE"]);
    expect(Object.keys(on.body)).toEqual(INFO_KEYS);
    expect((await call(`${server.url}/datasets/${VID_ID}/info`)).body.bookmarks).toEqual(["FAVORITE"]);
    const off = await call(`${server.url}/datasets/info/${VID_ID}/bookmark?bookmark=FAVORITE`, { method: "PATCH" });
    expect(off.body.bookmarks).toEqual([]);
    expect((await call(`${server.url}/datasets`)).body[1].bookmarks).toEqual([]);
  });

  it("refuses unknown or missing bookmarks with 422", async () => {
    const bad = await call(`${server.url}/datasets/info/${VID_ID}/bookmark?bookmark=LATER`, { method: "PATCH" });
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({ detail: "Invalid bookmark type 'LATER'. Must be one of ('TODO', 'NEW', 'FAVORITE')." });
    const missing = await call(`${server.url}/datasets/info/${VID_ID}/bookmark`, { method: "PATCH" });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toEqual([
      { type: "missing", loc: ["query", "bookmark"], msg: "Field required", input: null },
    ]);
    expect((await call(`${server.url}/datasets/info/nope/bookmark?bookmark=NEW`, { method: "PATCH" })).status).toBe(
      404,
    );
  });
});

describe("GET /datasets/{id}", () => {
  it("describes tables and feature values without leaking server paths", async () => {
    const r = await call(`${server.url}/datasets/${IMG_ID}`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual([
      "id",
      "path",
      "previews_path",
      "thumbnail",
      "tables",
      "feature_values",
      "info",
    ]);
    expect(r.body.path).toBe("img_folder");
    expect(r.body.previews_path).toBe("img_folder/previews");
    expect(r.body.thumbnail).toBe("img_folder/preview.png");
    expect(r.text).not.toContain(data.dataDir);
    expect(r.body.tables).toMatchObject({
      records: "TestRecord",
      entities: "TestEntity",
      bboxes: "BBox",
      masks: "CompressedRLE",
      images: "Image",
      texts: "Text",
    });
    expect(Object.keys(r.body.feature_values)).toEqual([
      "item",
      "records",
      "views",
      "entities",
      "entity_dynamic_states",
      "annotations",
      "embeddings",
    ]);
    expect(r.body.info.num_records).toBe(5);
    expect(r.body.info.preview).toBe("");
  });

  it("404s an unknown dataset", async () => {
    expect((await call(`${server.url}/datasets/nope`)).body).toEqual({ detail: "Dataset 'nope' not found." });
  });
});

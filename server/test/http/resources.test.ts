import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/index.js";
import { call, jsonInit, start } from "./harness.js";
import { buildTestDataDir, IMG_ID, VID_ID, type TestDataDir } from "./testLibrary.js";

let data: TestDataDir;
let server: RunningServer;
let img: string;
let vid: string;

beforeAll(async () => {
  data = await buildTestDataDir();
  server = await start(data.dataDir);
  img = `${server.url}/datasets/${IMG_ID}`;
  vid = `${server.url}/datasets/${VID_ID}`;
});

afterAll(async () => {
  await server?.close();
  await data?.cleanup();
});

const ids = (body: { items: { id: string }[] }) => body.items.map((r) => r.id);

describe("listing and getting every resource", () => {
  const cases: Array<[string, string, string[], string]> = [
    ["img", "entities", ["ent-0", "ent-1", "ent-2", "ent-3"], "ent-3"],
    ["img", "bboxes", ["bb-0", "bb-1", "bb-2"], "bb-1"],
    ["img", "masks", ["m-0"], "m-0"],
    ["img", "keypoints", ["kp-0"], "kp-0"],
    ["img", "multi-paths", ["mp-0"], "mp-0"],
    ["img", "classifications", ["cl-0"], "cl-0"],
    ["img", "relations", ["rel-0"], "rel-0"],
    ["img", "messages", ["msg-b0", "msg-a1", "msg-a0"], "msg-a0"],
    ["img", "text-spans", ["ts-0"], "ts-0"],
    ["vid", "tracklets", ["t-a", "t-b"], "t-b"],
    ["vid", "entity-dynamic-states", ["eds-0"], "eds-0"],
  ];
  it.each(cases)("%s /%s lists in storage order and gets one row", async (ds, resource, expected, one) => {
    const root = ds === "img" ? img : vid;
    const list = await call(`${root}/${resource}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: expected.length, limit: 100, offset: 0 });
    expect(ids(list.body)).toEqual(expected);
    const got = await call(`${root}/${resource}/${one}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(list.body.items.find((i: { id: string }) => i.id === one));
    const missing = await call(`${root}/${resource}/does-not-exist`);
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toMatch(/^Resource 'does-not-exist' not found in '[a-z_]+'\.$/);
  });

  it("returns every column in Pixano's order, custom ones included, bytes never", async () => {
    const bb = (await call(`${img}/bboxes/bb-0`)).body;
    expect(Object.keys(bb)).toEqual([
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
    expect(bb).toMatchObject({
      coords: [0.1, 0.2, 0.3, 0.4],
      format: "xywh",
      is_normalized: true,
      confidence: 1,
      frame_index: -1,
      source_metadata: "{}",
    });
    const text = (await call(`${img}/bboxes/bb-0`)).text;
    expect(text).toContain('"confidence":1.0');
    expect(text).toContain('"coords":[0.1,0.2,0.3,0.4]');
    const mask = (await call(`${img}/masks/m-0`)).body;
    expect(mask.size).toEqual([60, 80]);
    expect(typeof mask.counts).toBe("string");
    expect(mask.counts.length).toBeGreaterThan(0);
    const ent = (await call(`${img}/entities/ent-3`)).body;
    expect(ent).toEqual({ id: "ent-3", record_id: "r0", parent_id: "ent-0", category: "lid" });
    const eds = (await call(`${vid}/entity-dynamic-states/eds-0`)).body;
    expect(eds.occluded).toBe(true);
    const msg = (await call(`${img}/messages/msg-a0`)).body;
    expect(msg).toMatchObject({
      entity_ids: ["ent-0", "ent-1"],
      choices: ["box", "disc"],
      question_type: "SINGLE_CHOICE",
      number: 0,
    });
  });

  it("applies each resource's filters", async () => {
    expect(ids((await call(`${img}/bboxes?record_id=r0`)).body)).toEqual(["bb-0", "bb-1"]);
    expect(ids((await call(`${img}/bboxes?entity_id=ent-2`)).body)).toEqual(["bb-2"]);
    expect(ids((await call(`${img}/bboxes?source_type=model`)).body)).toEqual(["bb-1"]);
    expect(ids((await call(`${img}/bboxes?view_name=img-1`)).body)).toEqual(["bb-2"]);
    expect(ids((await call(`${img}/bboxes?record_id=`)).body)).toHaveLength(3);
    expect(ids((await call(`${vid}/bboxes?tracklet_id=t-a`)).body)).toEqual(["vb-0", "vb-1"]);
    expect(ids((await call(`${vid}/bboxes?frame_index=2`)).body)).toEqual(["vb-1"]);
    expect(ids((await call(`${vid}/bboxes?tracklet_id=t-a&frame_index=0`)).body)).toEqual(["vb-0"]);
    expect(ids((await call(`${img}/entities?record_id=r1`)).body)).toEqual(["ent-2"]);
    expect(ids((await call(`${vid}/tracklets?entity_id=e-b`)).body)).toEqual(["t-b"]);
    expect(ids((await call(`${img}/messages?record_id=r0`)).body)).toEqual(["msg-a1", "msg-a0"]);
    expect(
      ids((await call(`${img}/bboxes?where=${encodeURIComponent("confidence < 0.9 AND record_id = 'r0'")}`)).body),
    ).toEqual(["bb-1"]);
    const badInt = await call(`${vid}/bboxes?frame_index=two`);
    expect(badInt.status).toBe(422);
    expect(badInt.body.detail[0]).toMatchObject({ type: "int_parsing", loc: ["query", "frame_index"] });
    expect((await call(`${img}/messages?entity_id=ent-0`)).status).toBe(400);
    expect((await call(`${img}/bboxes?where=${encodeURIComponent("1 = 1")}`)).status).toBe(400);
  });

  it("pages with limit/offset and refuses bad bounds", async () => {
    const p = await call(`${img}/bboxes?limit=1&offset=1`);
    expect(p.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(ids(p.body)).toEqual(["bb-1"]);
    expect((await call(`${img}/bboxes?limit=0`)).status).toBe(422);
    expect((await call(`${img}/bboxes?limit=1001`)).status).toBe(422);
    expect((await call(`${img}/bboxes?offset=-1`)).status).toBe(422);
  });

  it("lists an annotation table the dataset does not declare as empty, other missing tables as 404", async () => {
    const none = await call(`${img}/tracklets`);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ items: [], total: 0, limit: 100, offset: 0 });
    const eds = await call(`${img}/entity-dynamic-states`);
    expect(eds.status).toBe(404);
    const emb = await call(`${img}/embeddings`);
    expect(emb.status).toBe(404);
  });
});

describe("creating", () => {
  it("creates rows (201) and fills defaults", async () => {
    const r = await call(
      `${img}/bboxes`,
      jsonInit("POST", {
        id: "bb-new",
        record_id: "r1",
        entity_id: "ent-2",
        view_id: "img-1",
        coords: [0.5, 0.5, 0.1, 0.1],
      }),
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      id: "bb-new",
      format: "xywh",
      is_normalized: true,
      confidence: -1,
      frame_index: -1,
      tracklet_id: "",
    });
    expect((await call(`${img}/bboxes/bb-new`)).status).toBe(200);
    const kp = await call(
      `${img}/keypoints`,
      jsonInit("POST", {
        id: "kp-new",
        record_id: "r1",
        entity_id: "ent-2",
        template_id: "cow",
        coords: [0.5, 0.5],
        states: ["visible"],
      }),
    );
    expect(kp.status).toBe(201);
    const ent = await call(`${img}/entities`, jsonInit("POST", { id: "ent-new", record_id: "r2", category: "cat" }));
    expect(ent.status).toBe(201);
    expect(ent.body).toEqual({ id: "ent-new", record_id: "r2", parent_id: "", category: "cat" });
  });

  it("creates an undeclared annotation table on first write, as Pixano does", async () => {
    const r = await call(
      `${img}/tracklets`,
      jsonInit("POST", { id: "trk-1", record_id: "r1", entity_id: "ent-2", start_timestep: 0, end_timestep: 0 }),
    );
    expect(r.status).toBe(201);
    expect(ids((await call(`${img}/tracklets`)).body)).toEqual(["trk-1"]);
    expect((await call(`${server.url}/datasets/${IMG_ID}/info`)).body.tracklet).toEqual({
      base: "Tracklet",
      fields: {},
    });
  });

  it("refuses broken references with Pixano's 400s", async () => {
    const fk = await call(
      `${img}/bboxes`,
      jsonInit("POST", { id: "bb-fk", record_id: "nope", entity_id: "ent-2", coords: [0, 0, 0.1, 0.1] }),
    );
    expect(fk.status).toBe(400);
    expect(fk.body.detail).toMatch(/Foreign key violation: record_id='nope'/);
    const ent = await call(
      `${img}/bboxes`,
      jsonInit("POST", { id: "bb-fk2", record_id: "r1", entity_id: "ghost", coords: [0, 0, 0.1, 0.1] }),
    );
    expect(ent.status).toBe(400);
    expect(ent.body.detail).toMatch(/entity_id='ghost'/);
    const cross = await call(
      `${vid}/bboxes`,
      jsonInit("POST", {
        id: "vb-x",
        record_id: "clip1",
        entity_id: "e-b",
        tracklet_id: "t-a",
        frame_index: 1,
        coords: [0, 0, 0.1, 0.1],
      }),
    );
    expect(cross.status).toBe(400);
    expect(cross.body.detail).toMatch(/Cross-entity check failed/);
    const msg = await call(
      `${img}/messages`,
      jsonInit("POST", {
        id: "msg-x",
        record_id: "r1",
        conversation_id: "c",
        number: 0,
        user: "u",
        type: "SYSTEM",
        content: "hi",
        entity_ids: ["ghost"],
      }),
    );
    expect(msg.status).toBe(400);
  });

  it("refuses invalid rows: located 422 issues for types, Pixano's 400 for its validators", async () => {
    const coords = await call(
      `${img}/bboxes`,
      jsonInit("POST", { id: "bb-bad", record_id: "r1", entity_id: "ent-2", coords: [0.1, "x", 0.1, 0.1] }),
    );
    expect(coords.status).toBe(422);
    expect(coords.body.detail).toEqual([
      {
        type: "float_parsing",
        loc: ["body", "coords", 1],
        msg: "Input should be a valid number, unable to parse string as a number",
        input: "x",
      },
    ]);
    const rule = await call(
      `${img}/bboxes`,
      jsonInit("POST", {
        id: "bb-bad2",
        record_id: "r1",
        entity_id: "ent-2",
        coords: [0.1, 0.1, 0.1],
        is_normalized: true,
      }),
    );
    // A model validator's refusal is Pixano's 400 "Invalid data: …" (R-PIXANO), not a 422.
    expect(rule.status).toBe(400);
    expect(rule.body.detail).toMatch(/^Invalid data: .*coords/);
    const noId = await call(`${img}/entities`, jsonInit("POST", { record_id: "r1" }));
    expect(noId.status).toBe(422);
    expect(noId.body.detail[0]).toMatchObject({ type: "missing", loc: ["body", "id"] });
  });

  it("answers 409 for another row under an existing id and returns the stored row for an identical retry", async () => {
    const same = await call(`${img}/bboxes`, jsonInit("POST", (await call(`${img}/bboxes/bb-2`)).body));
    expect(same.status).toBe(201);
    expect(same.body.id).toBe("bb-2");
    const clash = await call(
      `${img}/bboxes`,
      jsonInit("POST", { ...(await call(`${img}/bboxes/bb-2`)).body, confidence: 0.1 }),
    );
    expect(clash.status).toBe(409);
    expect(clash.body.detail.code).toBe("id_conflict");
  });

  it("404s creating in a table the dataset cannot have", async () => {
    expect((await call(`${img}/entity-dynamic-states`, jsonInit("POST", { id: "x", record_id: "r1" }))).status).toBe(
      404,
    );
    expect((await call(`${img}/embeddings`, jsonInit("POST", { id: "x", record_id: "r1" }))).status).toBe(404);
  });
});

describe("updating", () => {
  it("merges a partial update and re-validates the whole row", async () => {
    const r = await call(`${img}/bboxes/bb-1`, jsonInit("PUT", { confidence: 0.25, source_name: null }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: "bb-1", confidence: 0.25, source_name: "det", coords: [10, 20, 30, 40] });
    expect((await call(`${img}/bboxes/bb-1`)).body.confidence).toBe(0.25);
    const bad = await call(`${img}/bboxes/bb-1`, jsonInit("PUT", { confidence: 7 }));
    expect(bad.status).toBe(400); // the model's validator, as Pixano answers it: "Invalid data: …"
    expect((await call(`${img}/bboxes/ghost`, jsonInit("PUT", { confidence: 0.5 }))).status).toBe(404);
    const ent = await call(`${img}/entities/ent-2`, jsonInit("PUT", { category: "human" }));
    expect(ent.body).toEqual({ id: "ent-2", record_id: "r1", parent_id: "", category: "human" });
  });
});

describe("deleting", () => {
  it("deletes a row (204) and cascades from entities to their annotations", async () => {
    expect((await call(`${img}/keypoints/kp-0`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`${img}/keypoints/kp-0`)).status).toBe(404);
    expect((await call(`${img}/entities/ent-1`, { method: "DELETE" })).status).toBe(204);
    expect(ids((await call(`${img}/bboxes?entity_id=ent-1`)).body)).toEqual([]);
    expect(ids((await call(`${img}/text-spans?entity_id=ent-1`)).body)).toEqual([]);
    expect((await call(`${img}/entities/ent-1`, { method: "DELETE" })).status).toBe(404);
  });

  it("answers 405 for methods a resource does not have", async () => {
    const put = await call(`${img}/embeddings/x`, jsonInit("PUT", {}));
    expect(put.status).toBe(405);
    expect(put.body).toEqual({ detail: "Method Not Allowed" });
    expect(put.headers.get("allow")).toBe("GET, HEAD");
    expect((await call(`${img}/embeddings/x`, { method: "DELETE" })).status).toBe(405);
  });
});

describe("create, update, get and delete through every resource route", () => {
  const rows: Array<[string, string, Record<string, unknown>, Record<string, unknown>]> = [
    ["img", "entities", { record_id: "r1", category: "x" }, { category: "y" }],
    [
      "vid",
      "entity-dynamic-states",
      { record_id: "clip1", entity_id: "e-b", tracklet_id: "t-b", frame_index: 1 },
      { occluded: true },
    ],
    [
      "vid",
      "tracklets",
      { record_id: "clip1", entity_id: "e-b", start_timestep: 0, end_timestep: 1 },
      { end_timestep: 2 },
    ],
    ["img", "bboxes", { record_id: "r1", entity_id: "ent-2", coords: [0, 0, 0.5, 0.5] }, { confidence: 0.5 }],
    ["img", "masks", { record_id: "r1", entity_id: "ent-2", size: [0, 0], counts: "" }, { source_name: "sam" }],
    [
      "img",
      "keypoints",
      { record_id: "r1", entity_id: "ent-2", template_id: "t", coords: [0.5, 0.5], states: ["visible"] },
      { states: ["hidden"] },
    ],
    [
      "img",
      "multi-paths",
      { record_id: "r1", entity_id: "ent-2", coords: [0, 0, 1, 1], num_points: [2], is_closed: false },
      { source_type: "human" },
    ],
    [
      "img",
      "classifications",
      { record_id: "r1", entity_id: "ent-2", labels: ["a"], confidences: [1] },
      { labels: ["b"] },
    ],
    ["img", "relations", { record_id: "r1", entity_id: "ent-2", predicate: "near" }, { predicate: "far" }],
    [
      "img",
      "messages",
      { record_id: "r1", conversation_id: "c9", number: 0, user: "u", type: "SYSTEM", content: "hi" },
      { content: "bye" },
    ],
    [
      "img",
      "text-spans",
      { record_id: "r1", entity_id: "ent-2", view_id: "txt-0", mention: "red", spans_start: [2], spans_end: [5] },
      { mention: "red b" },
    ],
  ];
  it.each(rows)("%s /%s", async (ds, resource, body, patch) => {
    const root = ds === "img" ? img : vid;
    const id = `crud-${resource}`;
    const created = await call(`${root}/${resource}`, jsonInit("POST", { id, ...body }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ id, ...body });
    const updated = await call(`${root}/${resource}/${id}`, jsonInit("PUT", patch));
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body).toMatchObject({ id, ...body, ...patch });
    expect((await call(`${root}/${resource}/${id}`)).body).toEqual(updated.body);
    expect((await call(`${root}/${resource}/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`${root}/${resource}/${id}`)).status).toBe(404);
    expect((await call(`${root}/${resource}/${id}`, jsonInit("PUT", patch))).status).toBe(404);
  });

  it("404s embeddings where the dataset has none", async () => {
    const r = await call(`${img}/embeddings/e1`);
    expect(r.status).toBe(404);
    expect(r.body.detail).toMatch(/embeddings/);
  });
});

describe("conversations", () => {
  it("groups messages by conversation, ordered by id then message number", async () => {
    const r = await call(`${img}/conversations`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.items.map((c: { conversation_id: string }) => c.conversation_id)).toEqual(["conv-a", "conv-b"]);
    expect(r.body.items[0].messages.map((m: { id: string }) => m.id)).toEqual(["msg-a0", "msg-a1"]);
    expect(Object.keys(r.body.items[0])).toEqual(["conversation_id", "messages"]);
    const page = await call(`${img}/conversations?limit=1&offset=1`);
    expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(page.body.items[0].conversation_id).toBe("conv-b");
    const filtered = await call(`${img}/conversations?record_id=r1`);
    expect(filtered.body.items.map((c: { conversation_id: string }) => c.conversation_id)).toEqual(["conv-b"]);
    expect((await call(`${img}/conversations?view_name=img-0`)).body.total).toBe(1);
  });

  it("gets one conversation or 404s", async () => {
    const r = await call(`${img}/conversations/conv-a`);
    expect(r.status).toBe(200);
    expect(r.body.messages.map((m: { number: number }) => m.number)).toEqual([0, 1]);
    const none = await call(`${img}/conversations/ghost`);
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ detail: "Conversation 'ghost' not found." });
    expect((await call(`${vid}/conversations`)).body).toEqual({ items: [], total: 0, limit: 100, offset: 0 });
  });
});

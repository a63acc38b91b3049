import { describe, expect, it } from "vitest";
import { tableSchemaFromManifest, validateRow, ValidationError, assertRow } from "../../src/index.js";
import type { TableName } from "../../src/index.js";

const clock = { now: () => new Date("2026-01-02T03:04:05.678Z") };
const schemaOf = (t: TableName) => tableSchemaFromManifest(null, t);
const create = (t: TableName, row: unknown) => validateRow(schemaOf(t), row, { mode: "create", ctx: clock });
const paths = (t: TableName, row: unknown) => {
  const r = create(t, row);
  return r.ok ? [] : r.issues.map((i) => i.path);
};

const bbox = {
  id: "b1",
  record_id: "r1",
  entity_id: "e1",
  coords: [0.1, 0.2, 0.3, 0.4],
  format: "xywh",
  is_normalized: true,
  confidence: 1,
};

describe("S-TYPES: columns, defaults and order", () => {
  it("fills Pixano's sentinel defaults in column order", () => {
    const r = create("bboxes", { id: "b1", coords: [1, 2, 3, 4], is_normalized: false });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.row)).toEqual([
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
    expect(r.row.frame_index).toBe(-1);
    expect(r.row.confidence).toBe(-1);
    expect(r.row.source_metadata).toBe("{}");
  });

  it("stamps record timestamps from the injected clock", () => {
    const r = create("records", { id: "r1" });
    expect(r.ok && r.row.created_at).toBe("2026-01-02T03:04:05.678000");
    expect(r.ok && r.row.split).toBe("default");
    expect(r.ok && r.row.status).toBe("new");
  });

  it("rejects wrong types, NaN, unknown fields and reserved keys with field paths", () => {
    expect(paths("bboxes", { ...bbox, coords: [0.1, Number.NaN, 0.2, 0.2] })).toEqual(["bboxes.coords[1]"]);
    expect(paths("bboxes", { ...bbox, confidence: "high" })).toEqual(["bboxes.confidence"]);
    expect(paths("bboxes", { ...bbox, colour: "red" })).toEqual(["bboxes.colour"]);
    expect(paths("entities", JSON.parse('{"id":"e1","__proto__":{"x":1}}'))).toEqual(["entities.__proto__"]);
    expect(paths("masks", { id: "m1", size: [2, 2.5], counts: "" })).toContain("masks.size[1]");
  });

  it("S-ID: ids are non-empty, bounded, without slashes or control characters", () => {
    expect(paths("entities", { id: "" })).toEqual(["entities.id"]);
    expect(paths("entities", { id: "a/b" })).toEqual(["entities.id"]);
    expect(paths("entities", { id: "x".repeat(257) })).toEqual(["entities.id"]);
    expect(paths("entities", { id: "ok-id_1" })).toEqual([]);
  });

  it("patch mode checks only the fields present", () => {
    const r = validateRow(schemaOf("bboxes"), { confidence: 0.5 }, { mode: "patch" });
    expect(r).toEqual({ ok: true, row: { confidence: 0.5 } });
  });

  it("assertRow throws a ValidationError carrying every issue", () => {
    const bad = { ...bbox, is_normalized: false, coords: [1, 2], format: "cxcywh" };
    let caught: unknown;
    try {
      assertRow(schemaOf("bboxes"), bad, { mode: "create" });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).issues.map((i) => i.path).sort()).toEqual(["bboxes.coords", "bboxes.format"]);
  });
});

describe("table rules", () => {
  it("S-BBOX: four coords, normalised range, format, confidence", () => {
    expect(paths("bboxes", bbox)).toEqual([]);
    expect(paths("bboxes", { ...bbox, coords: [0.1, 0.2, 0.3, 0.4, 0.5] })).toEqual(["bboxes.coords"]);
    expect(paths("bboxes", { ...bbox, coords: [0.1, 0.2, 1.3, 0.4] })).toEqual(["bboxes.coords[2]"]);
    expect(paths("bboxes", { ...bbox, is_normalized: false, coords: [10, 20, 130, 40] })).toEqual([]);
    expect(paths("bboxes", { ...bbox, coords: [-0.1, 0.2, 0.3, 0.4] })).toEqual(["bboxes.coords[0]"]);
    expect(paths("bboxes", { ...bbox, format: "xyxy", coords: [0.5, 0.5, 0.4, 0.6] })).toEqual(["bboxes.coords"]);
    expect(paths("bboxes", { ...bbox, confidence: 1.5 })).toEqual(["bboxes.confidence"]);
    expect(paths("bboxes", { ...bbox, source_type: "robot" })).toEqual(["bboxes.source_type"]);
    expect(paths("bboxes", { ...bbox, source_metadata: "not json" })).toEqual(["bboxes.source_metadata"]);
  });

  it("S-MASK: [h,w] size and a COCO string; empty mask is [0,0] + empty counts", () => {
    expect(paths("masks", { id: "m", size: [0, 0], counts: "" })).toEqual([]);
    expect(paths("masks", { id: "m", size: [4, 4], counts: "51303" })).toEqual([]);
    expect(paths("masks", { id: "m", size: [60, 80], counts: "PPP1" })).toEqual(["masks.counts"]); // runs do not add up to 60×80
    expect(paths("masks", { id: "m", size: [4], counts: "" })).toEqual(["masks.size"]);
    expect(paths("masks", { id: "m", size: [0, 0], counts: "3" })).toEqual(["masks.counts"]);
  });

  it("S-KEYPOINTS: pairs, one state per point from the closed set", () => {
    const kp = { id: "k", template_id: "face", coords: [0.1, 0.1, 0.2, 0.2], states: ["visible", "hidden"] };
    expect(paths("keypoints", kp)).toEqual([]);
    expect(paths("keypoints", { ...kp, coords: [0.1, 0.1, 0.2] })).toContain("keypoints.coords");
    expect(paths("keypoints", { ...kp, states: ["visible"] })).toEqual(["keypoints.states"]);
    expect(paths("keypoints", { ...kp, states: ["visible", "occluded"] })).toEqual(["keypoints.states[1]"]);
  });

  it("S-MULTIPATH: point counts match coords, rings have enough points, coords normalised", () => {
    const poly = { id: "p", coords: [0, 0, 1, 0, 1, 1], num_points: [3], is_closed: true };
    expect(paths("multi_paths", poly)).toEqual([]);
    expect(paths("multi_paths", { ...poly, num_points: [4] })).toEqual(["multi_paths.coords"]);
    expect(paths("multi_paths", { ...poly, coords: [0, 0, 1, 0], num_points: [2] })).toEqual([
      "multi_paths.num_points[0]",
    ]);
    expect(paths("multi_paths", { ...poly, coords: [0, 0, 1, 0], num_points: [2], is_closed: false })).toEqual([]);
    expect(paths("multi_paths", { ...poly, coords: [0, 0, 2, 0, 1, 1] })).toEqual(["multi_paths.coords[2]"]);
  });

  it("S-TRACKLET: bounds set together and ordered", () => {
    expect(paths("tracklets", { id: "t", start_timestep: 2, end_timestep: 5 })).toEqual([]);
    expect(paths("tracklets", { id: "t", start_timestep: 5, end_timestep: 2 })).toEqual(["tracklets.end_timestep"]);
    expect(paths("tracklets", { id: "t", start_timestep: 3, end_timestep: -1 })).toEqual(["tracklets.start_timestep"]);
  });

  it("S-TEXTSPAN: parallel offsets, start ≤ end", () => {
    expect(paths("text_spans", { id: "s", mention: "cat", spans_start: [4], spans_end: [7] })).toEqual([]);
    expect(paths("text_spans", { id: "s", spans_start: [4, 9], spans_end: [7] })).toEqual(["text_spans.spans_end"]);
    expect(paths("text_spans", { id: "s", spans_start: [7], spans_end: [4] })).toEqual(["text_spans.spans_end[0]"]);
  });

  it("S-MESSAGE: types upper-cased, question_type only and always on questions", () => {
    const r = create("messages", { id: "m", type: "question", question_type: "OPEN", content: "?" });
    expect(r.ok && r.row.type).toBe("QUESTION");
    expect(paths("messages", { id: "m", type: "QUESTION" })).toEqual(["messages.question_type"]);
    expect(paths("messages", { id: "m", type: "ANSWER", question_type: "OPEN" })).toEqual(["messages.question_type"]);
    expect(paths("messages", { id: "m", type: "ANSWER", choices: ["a"] })).toEqual(["messages.choices"]);
    expect(paths("messages", { id: "m", type: "CHAT" })).toEqual(["messages.type"]);
  });

  it("S-RECORD-STATUS and S-VIEW", () => {
    // Pixano's `status` is a free string: values outside the workflow's four are kept (SPEC W7).
    expect(paths("records", { id: "r", status: "done" })).toEqual([]);
    expect(paths("images", { id: "i", uri: "a.png", raw_bytes: new Uint8Array([1]) })).toEqual(["images.uri"]);
  });
});

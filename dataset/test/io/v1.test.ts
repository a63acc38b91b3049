import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Row, TableName } from "@tessera/shared-crdt";
import { importDataset, stableId, type ImportReport } from "../../src/io/index.js";
import { materialize, readAll, tempDir } from "./helpers.js";

/** Pixano 0.7 folder format v1: aliases, custom fields kept and typed, the four workspaces. */
const cleanup: string[] = [];
afterAll(async () => {
  for (const d of cleanup) await fs.rm(d, { recursive: true, force: true });
});

async function importFixture(
  name: string,
  workspace?: string,
): Promise<{ report: ImportReport; rows: Map<TableName, Row[]>; info: Record<string, unknown> }> {
  const source = await materialize(name);
  const dataDir = await tempDir();
  cleanup.push(path.dirname(source), dataDir);
  const report = await importDataset({ dataDir, source, ...(workspace ? { workspace } : {}) });
  const info = JSON.parse(await fs.readFile(path.join(report.path, "info.json"), "utf8")) as Record<string, unknown>;
  return { report, rows: await readAll(report.path), info };
}

const byId = (rows: Row[] | undefined, id: string) => rows?.find((r) => r.id === id);

describe("v1 image workspace", () => {
  let r: Awaited<ReturnType<typeof importFixture>>;
  beforeAll(async () => {
    r = await importFixture("v1_image");
  });

  it("detects the v1 format and counts records per split, media-only split included", () => {
    expect(r.report.format).toBe("pixano_v1");
    expect(r.report.workspace).toBe("image");
    expect(r.report.splits).toEqual({ test: 2, train: 3, val: 2 });
    expect(r.report.tables).toMatchObject({
      records: 7,
      images: 7,
      entities: 5,
      bboxes: 3,
      masks: 1,
      keypoints: 1,
      multi_paths: 2,
    });
  });

  it("keeps custom record and entity fields, typed in the info.json manifest", () => {
    expect(r.info.record).toEqual({
      base: "Record",
      fields: {
        weather: { collection: false, type: "str", required: false, default: "" },
        score: { collection: false, type: "float", required: false, default: 0 },
        tags: { collection: true, type: "str", required: false, default: [] },
      },
      name: "CustomRecord",
    });
    expect(r.info.entity).toEqual({
      base: "Entity",
      fields: {
        category: { collection: false, type: "str", required: false, default: "" },
        occluded: { collection: false, type: "bool", required: false, default: false },
      },
      name: "CustomEntity",
    });
    expect(r.report.inferred.map((f) => `${f.table}.${f.name}:${f.type}`)).toEqual([
      "records.weather:str",
      "records.score:float",
      "records.tags:list[str]",
      "entities.category:str",
      "entities.occluded:bool",
    ]);
    const records = r.rows.get("records")!;
    const rec1 = byId(records, stableId("v1_image", "train", "metadata", 1))!;
    expect(rec1).toMatchObject({ split: "train", weather: "sunny", score: 0, tags: [], status: "new" });
    expect(byId(records, "rec-b")).toMatchObject({ status: "validated", comment: "checked by bob", weather: "rainy" });
    const val = records.filter((x) => x.split === "val").map((x) => [x.score, x.tags]);
    expect(val).toEqual([
      [3, ["outdoor", "day"]],
      [2.5, []],
    ]);
    const entities = r.rows.get("entities")!;
    expect(byId(entities, "rec-b-head")).toMatchObject({
      parent_id: "rec-b-person",
      category: "head",
      occluded: false,
    });
    expect(entities.filter((e) => e.occluded === true).map((e) => e.category)).toEqual(["person"]);
  });

  it("reads bare bbox lists as xywh, normalised iff every value is in [0,1], confidence 1", () => {
    const boxes = r.rows.get("bboxes")!;
    expect(boxes.find((b) => (b.coords as number[])[0] === 0.1)).toMatchObject({
      format: "xywh",
      is_normalized: true,
      confidence: 1,
      source_type: "other",
      source_name: "Builder",
    });
    expect(boxes.find((b) => (b.coords as number[])[0] === 10)).toMatchObject({
      format: "xywh",
      is_normalized: false,
      confidence: 1,
    });
    expect(boxes.find((b) => b.entity_id === "rec-b-head")).toMatchObject({
      confidence: 0.75,
      source_type: "model",
      source_name: "detector",
    });
  });

  it("embeds images with size, Pillow format and a thumbnail; media-only records are named after the file", () => {
    const images = r.rows.get("images")!;
    const jpeg = images.find((i) => i.record_id === "rec-b")!;
    expect(jpeg).toMatchObject({ width: 80, height: 60, format: "JPEG", uri: "", preview_format: "png" });
    expect((jpeg.raw_bytes as Uint8Array).length).toBeGreaterThan(0);
    expect((jpeg.preview as Uint8Array).length).toBeGreaterThan(0);
    expect(
      images.filter((i) => i.record_id === "f" || i.record_id === "g").map((i) => [i.record_id, i.width, i.height]),
    ).toEqual([
      ["f", 32, 32],
      ["g", 32, 16],
    ]);
    expect(
      r.rows
        .get("records")!
        .filter((x) => x.split === "test")
        .map((x) => x.id),
    ).toEqual(["f", "g"]);
  });

  it("converts polygons and polylines to normalised multi-paths and keeps RLE masks and keypoints", () => {
    const paths = r.rows.get("multi_paths")!;
    expect(paths.map((p) => [p.num_points, p.is_closed])).toEqual([
      [[3], true],
      [[2, 3], false],
    ]);
    expect(r.rows.get("masks")![0]).toMatchObject({
      size: [48, 64],
      counts: "Z9d0l00000000000000000000000000000000000000fh1",
    });
    expect(r.rows.get("keypoints")![0]).toMatchObject({
      template_id: "face",
      coords: [0.5, 0.5, 0.6, 0.5],
      states: ["visible", "hidden"],
    });
  });
});

describe("v1 image_vqa workspace", () => {
  it("reads flat message lists, question/response entries and lists of conversations", async () => {
    const r = await importFixture("v1_vqa", "image_vqa");
    const msgs = r.rows.get("messages")!;
    expect(msgs).toHaveLength(8);
    const images = r.rows.get("images")!;
    const view = (rec: number) => images.find((i) => i.record_id === stableId("v1_vqa", "train", "metadata", rec))!.id;
    const conv = (rec: number) => msgs.filter((m) => m.record_id === stableId("v1_vqa", "train", "metadata", rec));
    expect(conv(1).map((m) => [m.type, m.number, m.user, m.question_type])).toEqual([
      ["QUESTION", 0, "import", "OPEN"],
      ["ANSWER", 1, "import", ""],
    ]);
    expect(conv(2).map((m) => [m.type, m.number, m.user, m.view_id, m.choices])).toEqual([
      ["QUESTION", 0, "alice", view(2), ["disc", "box"]],
      ["ANSWER", 1, "import", view(2), []],
    ]);
    const third = conv(3);
    expect(new Set(third.map((m) => m.conversation_id)).size).toBe(2);
    expect(third.filter((m) => (m.entity_ids as string[]).includes("q3-disc")).map((m) => m.type)).toEqual([
      "QUESTION",
      "ANSWER",
    ]);
    expect(third.find((m) => m.type === "QUESTION" && m.content === "How many discs?")!.question_type).toBe("OPEN");
  });
});

describe("v1 video workspace", () => {
  it("builds sequence frames (ms timestamps), per-frame annotations, tracklets, states and index-mask sidecars", async () => {
    const r = await importFixture("v1_video", "video");
    const frames = r.rows.get("sequence_frames")!;
    const clip1 = frames
      .filter((f) => f.record_id === "clip1")
      .sort((a, b) => (a.frame_index as number) - (b.frame_index as number));
    expect(clip1.map((f) => [f.frame_index, f.timestamp])).toEqual([
      [0, 0],
      [1, 100],
      [2, 200],
    ]);
    // Like Pixano 0.8, only the first frame carries the grid thumbnail.
    expect(clip1.map((f) => (f.preview as Uint8Array).length > 0)).toEqual([true, false, false]);
    const clip2 = frames.filter((f) => f.record_id === "clip2").map((f) => f.timestamp);
    expect(clip2).toEqual([0, 1000 / 24]);

    const [ball] = r.rows.get("entities")!.filter((e) => e.record_id === "clip1");
    const tracklets = r.rows.get("tracklets")!;
    const t = tracklets.find((x) => x.entity_id === ball!.id)!;
    expect(t).toMatchObject({
      start_timestep: 0,
      end_timestep: 2,
      start_timestamp: 0,
      end_timestamp: 200,
      view_id: clip1[0]!.id,
    });
    const boxes = r.rows.get("bboxes")!.filter((b) => b.entity_id === ball!.id);
    expect(boxes.map((b) => [b.frame_index, b.frame_id, b.view_id, b.tracklet_id])).toEqual([
      [0, clip1[0]!.id, clip1[0]!.id, t.id],
      [2, clip1[2]!.id, clip1[0]!.id, t.id],
    ]);
    const states = r.rows.get("entity_dynamic_states")!;
    expect(states.map((s) => [s.frame_index, s.visible, s.tracklet_id])).toEqual([
      [0, true, t.id],
      [2, false, t.id],
    ]);
    expect(boxes[1]!.entity_dynamic_state_id).toBe(states[1]!.id);
    expect(r.info.entity_dynamic_state).toEqual({
      base: "EntityDynamicState",
      fields: { visible: { collection: false, type: "bool", required: false, default: false } },
      name: "CustomEntityDynamicState",
    });

    const masks = r.rows.get("masks")!;
    expect(masks).toHaveLength(3);
    const objects = r.rows.get("entities")!.filter((e) => e.record_id === "clip2");
    expect(objects).toHaveLength(2);
    const spans = tracklets.filter((x) => x.record_id === "clip2").map((x) => [x.start_timestep, x.end_timestep]);
    expect(spans).toEqual([
      [0, 1],
      [0, 0],
    ]);
    for (const m of masks) expect(m.tracklet_id).toBe(tracklets.find((x) => x.entity_id === m.entity_id)!.id);
  });
});

describe("v1 image_text_entity_linking workspace", () => {
  it("reads text files and inline text, and locates a mention in the text", async () => {
    const r = await importFixture("v1_mel", "image_text_entity_linking");
    expect(r.info.entity).toEqual({
      base: "Entity",
      fields: { name: { collection: false, type: "str", required: false, default: "" } },
      name: "MelEntity",
    });
    const spans = r.rows.get("text_spans")!;
    expect(spans.map((s) => [s.mention, s.spans_start, s.spans_end])).toEqual([
      ["red ball", [2], [10]],
      ["blue box", [21], [29]],
      ["café", [3], [7]],
    ]);
    const texts = r.rows.get("texts")!;
    expect(texts.map((t) => t.content)).toEqual([
      "A red ball next to a blue box. The ball is round.",
      "Le café ☕ est chaud",
    ]);
    expect(spans[0]!.view_id).toBe(texts[0]!.id);
  });
});

describe("--use-image-name-as-id", () => {
  it("names views after their files and metadata records record_<split>_<i>, like Pixano 0.7", async () => {
    const source = await materialize("v1_image");
    const dataDir = await tempDir();
    cleanup.push(path.dirname(source), dataDir);
    const report = await importDataset({ dataDir, source, useImageNameAsId: true });
    const rows = await readAll(report.path);
    expect(
      rows
        .get("images")!
        .map((i) => [i.id, i.record_id])
        .sort(),
    ).toEqual(
      [
        ["a", "record_train_0"],
        ["b", "rec-b"],
        ["c", "record_train_2"],
        ["d", "record_val_0"],
        ["e", "record_val_1"],
        ["f", "f"],
        ["g", "g"],
      ].sort(),
    );
    expect(rows.get("bboxes")!.every((b) => ["a", "b"].includes(b.view_id as string))).toBe(true);
  });
});

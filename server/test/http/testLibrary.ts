import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { Library, makePreview } from "@tessera/dataset";
import { encodeMask } from "@tessera/shared-crdt";

/**
 * A temporary DATA_DIR with two small datasets written through `@tessera/dataset` (the same path
 * an import takes), covering every table the REST API exposes, media files under `media/`, and a
 * symlink that points out of `media/` (which the server must refuse).
 */

export const IMG_ID = "img-ds";
export const VID_ID = "vid-ds";

const str = (dflt = "") => ({ collection: false, type: "str", required: false, default: dflt });

export async function png(width: number, height: number, rgb: [number, number, number]): Promise<Uint8Array> {
  const out = await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
  return new Uint8Array(out);
}

async function jpeg(width: number, height: number): Promise<Uint8Array> {
  const out = await sharp({ create: { width, height, channels: 3, background: { r: 10, g: 200, b: 30 } } })
    .jpeg()
    .toBuffer();
  return new Uint8Array(out);
}

async function imageRow(id: string, recordId: string, bytes: Uint8Array | null, extra: Record<string, unknown> = {}) {
  if (!bytes) return { id, record_id: recordId, logical_name: "image", ...extra };
  const preview = await makePreview(bytes);
  return {
    id,
    record_id: recordId,
    logical_name: "image",
    raw_bytes: bytes,
    preview: preview.bytes,
    preview_format: preview.format,
    width: preview.source.width,
    height: preview.source.height,
    format: preview.source.format,
    ...extra,
  };
}

export interface TestDataDir {
  readonly dataDir: string;
  /** A file outside `media/` that a symlink inside it points to. */
  readonly secretFile: string;
  readonly images: { readonly red: Uint8Array; readonly jpeg: Uint8Array; readonly mediaPng: Uint8Array };
  readonly frames: readonly Uint8Array[];
  readonly videoBytes: Uint8Array;
  cleanup(): Promise<void>;
}

export async function buildTestDataDir(): Promise<TestDataDir> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-server-"));
  const dataDir = path.join(root, "data");
  const library = new Library(dataDir, { now: () => new Date("2026-01-02T03:04:05.000Z") });
  await library.init();

  // media/ — a file a view references by relative uri, a nested file, and a symlink out.
  const secretFile = path.join(root, "secret.txt");
  await writeFile(secretFile, "top secret");
  const mediaPng = await png(40, 30, [0, 0, 255]);
  await mkdir(path.join(dataDir, "media", "photos"), { recursive: true });
  await writeFile(path.join(dataDir, "media", "photos", "cat.png"), mediaPng);
  await writeFile(path.join(dataDir, "media", "notes.txt"), "0123456789");
  await symlink(secretFile, path.join(dataDir, "media", "escape.txt"));
  await symlink(root, path.join(dataDir, "media", "up"));

  const red = await png(80, 60, [255, 0, 0]);
  const green = await jpeg(64, 48);
  const img = await library.create("img_folder", {
    id: IMG_ID,
    name: "Image DS",
    description: "image fixture",
    size: "Unknown",
    preview: "",
    workspace: "image",
    storage_mode: "mixed",
    record: {
      base: "Record",
      name: "TestRecord",
      fields: {
        weather: str(),
        capture_hour: { collection: false, type: "int", required: false, default: 0 },
        quality: { collection: false, type: "float", required: false, default: 0.0 },
        is_synthetic: { collection: false, type: "bool", required: false, default: false },
      },
    },
    entity: { base: "Entity", name: "TestEntity", fields: { category: str() } },
    bbox: { base: "BBox", fields: {} },
    mask: { base: "CompressedRLE", fields: {} },
    keypoint: { base: "KeyPoints", fields: {} },
    multi_path: { base: "MultiPath", fields: {} },
    message: { base: "Message", fields: {} },
    text_span: { base: "TextSpan", fields: {} },
    classification: { base: "Classification", fields: {} },
    relation: { base: "Relation", fields: {} },
    views: { image: { base: "Image", fields: {} }, text: { base: "Text", fields: {} } },
  });
  const weathers = ["sunny", "rainy", "foggy", "sunny", "cloudy"];
  const maskBits = new Uint8Array(60 * 80);
  for (let y = 10; y < 30; y++) for (let x = 20; x < 50; x++) maskBits[x * 60 + y] = 1;
  const rle = encodeMask(maskBits, 60, 80);
  await img.addRecords({
    records: weathers.map((weather, i) => ({
      id: `r${i}`,
      split: i < 3 ? "train" : "val",
      status: i === 4 ? "validated" : "new",
      comment: i === 2 ? "Needs REVIEW of the 100% box" : "",
      weather,
      capture_hour: 8 + i,
      quality: i / 4,
      is_synthetic: i % 2 === 1,
    })),
    images: [
      await imageRow("img-0", "r0", red),
      await imageRow("img-1", "r1", green),
      await imageRow("img-2", "r2", null, { uri: "photos/cat.png", width: 40, height: 30, format: "PNG" }),
      await imageRow("img-3", "r3", null, { uri: "https://example.org/x.jpg", width: 10, height: 10, format: "JPEG" }),
    ],
    texts: [
      { id: "txt-0", record_id: "r0", logical_name: "text", content: "A red ball next to a box. Café ☕ au lait." },
    ],
    entities: [
      { id: "ent-0", record_id: "r0", category: "box" },
      { id: "ent-1", record_id: "r0", category: "disc" },
      { id: "ent-2", record_id: "r1", category: "person" },
      { id: "ent-3", record_id: "r0", parent_id: "ent-0", category: "lid" },
    ],
    bboxes: [
      {
        id: "bb-0",
        record_id: "r0",
        entity_id: "ent-0",
        view_id: "img-0",
        coords: [0.1, 0.2, 0.3, 0.4],
        format: "xywh",
        is_normalized: true,
        confidence: 1.0,
        source_type: "human",
        source_name: "Pixano",
      },
      {
        id: "bb-1",
        record_id: "r0",
        entity_id: "ent-1",
        view_id: "img-0",
        coords: [10, 20, 30, 40],
        format: "xyxy",
        is_normalized: false,
        confidence: 0.5,
        source_type: "model",
        source_name: "det",
      },
      {
        id: "bb-2",
        record_id: "r1",
        entity_id: "ent-2",
        view_id: "img-1",
        coords: [0, 0, 1, 1],
        format: "xywh",
        is_normalized: true,
        source_type: "ground_truth",
      },
    ],
    masks: [{ id: "m-0", record_id: "r0", entity_id: "ent-0", view_id: "img-0", size: rle.size, counts: rle.counts }],
    keypoints: [
      {
        id: "kp-0",
        record_id: "r0",
        entity_id: "ent-0",
        view_id: "img-0",
        template_id: "face",
        coords: [0.1, 0.1, 0.2, 0.2, 0.3, 0.3],
        states: ["visible", "invisible", "hidden"],
      },
    ],
    multi_paths: [
      {
        id: "mp-0",
        record_id: "r0",
        entity_id: "ent-1",
        view_id: "img-0",
        coords: [0, 0, 0.5, 0.5, 1, 0],
        num_points: [3],
        is_closed: true,
      },
    ],
    classifications: [
      {
        id: "cl-0",
        record_id: "r0",
        entity_id: "ent-0",
        view_id: "img-0",
        labels: ["box", "square"],
        confidences: [0.75, 0.25],
      },
    ],
    relations: [
      {
        id: "rel-0",
        record_id: "r0",
        entity_id: "ent-0",
        view_id: "img-0",
        predicate: "left_of",
        subject_id: "bb-0",
        object_id: "bb-1",
      },
    ],
    messages: [
      {
        id: "msg-b0",
        record_id: "r1",
        view_id: "img-1",
        conversation_id: "conv-b",
        number: 0,
        user: "user",
        type: "QUESTION",
        content: "What?",
        question_type: "OPEN",
      },
      {
        id: "msg-a1",
        record_id: "r0",
        view_id: "img-0",
        conversation_id: "conv-a",
        number: 1,
        user: "user",
        type: "ANSWER",
        content: "[[A]]",
        entity_ids: ["ent-0"],
      },
      {
        id: "msg-a0",
        record_id: "r0",
        view_id: "img-0",
        conversation_id: "conv-a",
        number: 0,
        user: "user",
        type: "QUESTION",
        content: "Which one?",
        choices: ["box", "disc"],
        question_type: "SINGLE_CHOICE",
        entity_ids: ["ent-0", "ent-1"],
      },
    ],
    text_spans: [
      {
        id: "ts-0",
        record_id: "r0",
        entity_id: "ent-1",
        view_id: "txt-0",
        mention: "red ball",
        spans_start: [2],
        spans_end: [10],
      },
    ],
  });

  const frames: Uint8Array[] = [];
  for (let i = 0; i < 5; i++) frames.push(await png(16, 12, [i * 40, 100, 200 - i * 30]));
  const videoBytes = new Uint8Array(
    Buffer.from("\u0000\u0000\u0000\u0018ftypmp42 fake video payload for range tests ".repeat(8), "latin1"),
  );
  const vid = await library.create("vid_folder", {
    id: VID_ID,
    name: "Video DS",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "video",
    storage_mode: "embedded",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", fields: {} },
    entity_dynamic_state: {
      base: "EntityDynamicState",
      name: "TestState",
      fields: { occluded: { collection: false, type: "bool", required: false, default: false } },
    },
    bbox: { base: "BBox", fields: {} },
    tracklet: { base: "Tracklet", fields: {} },
    views: { image: { base: "SequenceFrame", fields: {} }, clip: { base: "Video", fields: {} } },
  });
  const frameRows = [];
  for (let i = 0; i < 5; i++)
    frameRows.push({ ...(await imageRow(`f1-${i}`, "clip1", frames[i]!)), timestamp: i * 0.2, frame_index: i });
  frameRows.push({ ...(await imageRow("f2-0", "clip2", frames[0]!)), timestamp: 0, frame_index: 0 });
  frameRows.push({ id: "f2-1", record_id: "clip2", logical_name: "image", timestamp: 0.2, frame_index: 1 });
  await vid.add("records", [
    { id: "clip1", split: "train" },
    { id: "clip2", split: "train" },
  ]);
  await vid.add("sequence_frames", frameRows);
  await vid.add("videos", [
    {
      id: "v-0",
      record_id: "clip1",
      logical_name: "clip",
      raw_bytes: videoBytes,
      num_frames: 5,
      fps: 5,
      width: 16,
      height: 12,
      format: "mp4",
      duration: 1,
    },
    {
      id: "v-1",
      record_id: "clip2",
      logical_name: "clip",
      uri: "https://example.org/v.mp4",
      num_frames: 2,
      fps: 10,
      width: 16,
      height: 12,
      format: "mp4",
      duration: 0.2,
    },
  ]);
  await vid.add("entities", [
    { id: "e-a", record_id: "clip1" },
    { id: "e-b", record_id: "clip1" },
  ]);
  await vid.add("tracklets", [
    {
      id: "t-a",
      record_id: "clip1",
      entity_id: "e-a",
      view_id: "f1-0",
      start_timestep: 0,
      end_timestep: 3,
      start_timestamp: 0,
      end_timestamp: 0.6,
    },
    { id: "t-b", record_id: "clip1", entity_id: "e-b", view_id: "f1-0", start_timestep: 1, end_timestep: 2 },
  ]);
  await vid.add("entity_dynamic_states", [
    {
      id: "eds-0",
      record_id: "clip1",
      entity_id: "e-a",
      tracklet_id: "t-a",
      view_id: "f1-0",
      frame_id: "f1-0",
      frame_index: 0,
      occluded: true,
    },
  ]);
  await vid.add("bboxes", [
    {
      id: "vb-0",
      record_id: "clip1",
      entity_id: "e-a",
      tracklet_id: "t-a",
      view_id: "f1-0",
      frame_id: "f1-0",
      frame_index: 0,
      coords: [0.1, 0.1, 0.2, 0.2],
      format: "xywh",
      is_normalized: true,
    },
    {
      id: "vb-1",
      record_id: "clip1",
      entity_id: "e-a",
      tracklet_id: "t-a",
      view_id: "f1-2",
      frame_id: "f1-2",
      frame_index: 2,
      coords: [0.2, 0.1, 0.2, 0.2],
      format: "xywh",
      is_normalized: true,
    },
    {
      id: "vb-2",
      record_id: "clip1",
      entity_id: "e-b",
      tracklet_id: "t-b",
      view_id: "f1-1",
      frame_id: "f1-1",
      frame_index: 1,
      coords: [0.5, 0.5, 0.1, 0.1],
      format: "xywh",
      is_normalized: true,
      source_type: "model",
    },
  ]);
  await library.close();
  return {
    dataDir,
    secretFile,
    images: { red, jpeg: green, mediaPng },
    frames,
    videoBytes,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

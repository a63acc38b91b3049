import sharp from "sharp";
import type { DatasetInfo, TableName } from "@tessera/shared-crdt";
import { makePreview } from "../src/index.js";

/** An info.json declaring every slot, with custom fields of every scalar kind and a list. */
export function fullInfo(id = "full_ds", extra: Record<string, unknown> = {}): DatasetInfo {
  return {
    id,
    name: "Full dataset",
    description: "every table, written by Tessera — é",
    size: "Unknown",
    preview: "",
    workspace: "image",
    storage_mode: "embedded",
    record: {
      base: "Record",
      name: "MyRecord",
      fields: {
        weather: { collection: false, type: "str", required: false, default: "" },
        capture_hour: { collection: false, type: "int", required: false, default: 0 },
        is_synthetic: { collection: false, type: "bool", required: false, default: false },
        quality: { collection: false, type: "float", required: false, default: 0.0 },
        tags: { collection: true, type: "str", required: false, default: [] },
      },
    },
    entity: {
      base: "Entity",
      name: "MyEntity",
      fields: { category: { collection: false, type: "str", required: false, default: "" } },
    },
    entity_dynamic_state: {
      base: "EntityDynamicState",
      name: "MyState",
      fields: { occluded: { collection: false, type: "bool", required: false, default: false } },
    },
    bbox: { base: "BBox", fields: {} },
    mask: { base: "CompressedRLE", fields: {} },
    keypoint: { base: "KeyPoints", fields: {} },
    tracklet: { base: "Tracklet", fields: {} },
    message: { base: "Message", fields: {} },
    multi_path: { base: "MultiPath", fields: {} },
    text_span: { base: "TextSpan", fields: {} },
    classification: { base: "Classification", fields: {} },
    relation: { base: "Relation", fields: {} },
    views: {
      image: { base: "Image", fields: {} },
      text: { base: "Text", fields: {} },
      frames: { base: "SequenceFrame", fields: {} },
    },
    ...extra,
  };
}

export async function png(width: number, height: number, color = "#ff8800"): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp({ create: { width, height, channels: 3, background: color } })
      .png()
      .toBuffer(),
  );
}

export async function jpeg(width: number, height: number, color = "#0088ff"): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp({ create: { width, height, channels: 3, background: color } })
      .jpeg()
      .toBuffer(),
  );
}

/** Rows for every table of {@link fullInfo}, consistent with each other (two records). */
export async function fullRows(): Promise<Partial<Record<TableName, Record<string, unknown>[]>>> {
  const img = await png(80, 60);
  const preview = await makePreview(img);
  const frame = await jpeg(32, 24);
  return {
    records: [
      {
        id: "r1",
        split: "train",
        weather: "sunny",
        capture_hour: 9,
        is_synthetic: true,
        quality: 0.75,
        tags: ["a", "b"],
        comment: "first",
      },
      { id: "r2", split: "val", status: "inReview" },
    ],
    images: [
      {
        id: "img1",
        record_id: "r1",
        logical_name: "image",
        raw_bytes: img,
        preview: preview.bytes,
        preview_format: "png",
        width: 80,
        height: 60,
        format: "PNG",
      },
      {
        id: "img2",
        record_id: "r2",
        logical_name: "image",
        uri: "r2/photo.jpg",
        width: 10,
        height: 20,
        format: "JPEG",
      },
    ],
    texts: [{ id: "txt1", record_id: "r1", logical_name: "text", content: "Paris is in France. Émile lives there." }],
    sequence_frames: [
      {
        id: "f0",
        record_id: "r2",
        logical_name: "frames",
        raw_bytes: frame,
        width: 32,
        height: 24,
        format: "JPEG",
        timestamp: 0,
        frame_index: 0,
      },
      {
        id: "f1",
        record_id: "r2",
        logical_name: "frames",
        raw_bytes: frame,
        width: 32,
        height: 24,
        format: "JPEG",
        timestamp: 0.04,
        frame_index: 1,
      },
    ],
    entities: [
      { id: "e1", record_id: "r1", category: "car" },
      { id: "e2", record_id: "r1", parent_id: "e1", category: "wheel" },
      { id: "e3", record_id: "r2", category: "person" },
    ],
    tracklets: [
      {
        id: "t1",
        record_id: "r2",
        entity_id: "e3",
        view_id: "f0",
        start_timestep: 0,
        end_timestep: 1,
        start_timestamp: 0,
        end_timestamp: 0.04,
      },
    ],
    entity_dynamic_states: [
      {
        id: "s1",
        record_id: "r2",
        entity_id: "e3",
        tracklet_id: "t1",
        view_id: "f0",
        frame_id: "f0",
        frame_index: 0,
        occluded: true,
      },
    ],
    bboxes: [
      {
        id: "b1",
        record_id: "r1",
        entity_id: "e1",
        view_id: "img1",
        coords: [0.1, 0.2, 0.3, 0.4],
        source_type: "human",
        source_name: "Pixano",
        confidence: 1,
      },
      {
        id: "b2",
        record_id: "r2",
        entity_id: "e3",
        view_id: "f0",
        frame_id: "f0",
        frame_index: 0,
        tracklet_id: "t1",
        entity_dynamic_state_id: "s1",
        coords: [1, 2, 3, 4],
        is_normalized: false,
        source_type: "model",
        source_metadata: '{"threshold": 0.5}',
        confidence: 0.5,
      },
    ],
    masks: [{ id: "m1", record_id: "r1", entity_id: "e2", view_id: "img1", size: [2, 2], counts: "04" }],
    keypoints: [
      {
        id: "k1",
        record_id: "r1",
        entity_id: "e1",
        view_id: "img1",
        template_id: "face",
        coords: [0.1, 0.1, 0.2, 0.2],
        states: ["visible", "hidden"],
      },
    ],
    multi_paths: [
      {
        id: "p1",
        record_id: "r1",
        entity_id: "e1",
        view_id: "img1",
        coords: [0, 0, 1, 0, 1, 1],
        num_points: [3],
        is_closed: true,
      },
    ],
    text_spans: [
      {
        id: "ts1",
        record_id: "r1",
        entity_id: "e1",
        view_id: "txt1",
        mention: "Paris",
        spans_start: [0],
        spans_end: [5],
      },
    ],
    messages: [
      {
        id: "q1",
        record_id: "r1",
        view_id: "img1",
        conversation_id: "c1",
        number: 0,
        user: "user",
        type: "question",
        content: "What?",
        choices: ["car", "bike"],
        question_type: "SINGLE_CHOICE",
        entity_ids: ["e1", "e2"],
      },
      {
        id: "a1",
        record_id: "r1",
        view_id: "img1",
        conversation_id: "c1",
        number: 0,
        user: "user",
        type: "ANSWER",
        content: "[[A]]",
        entity_ids: ["e1"],
      },
    ],
    classifications: [
      {
        id: "c1",
        record_id: "r1",
        entity_id: "e1",
        view_id: "img1",
        labels: ["car", "truck"],
        confidences: [0.9, 0.1],
      },
    ],
    relations: [
      {
        id: "rel1",
        record_id: "r1",
        entity_id: "e1",
        view_id: "img1",
        predicate: "part_of",
        subject_id: "b1",
        object_id: "m1",
      },
    ],
  };
}

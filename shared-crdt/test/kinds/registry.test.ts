import { describe, expect, it } from "vitest";
// Only the declaration entry: the registry is not read (not frozen) until the package root is imported below.
import {
  col,
  defineKind,
  ENTITY_ANNOTATION_FILTERS,
  ENTITY_ANNOTATION_REFS,
  entityAnnotation,
  isRegistryFrozen,
  KindRegistryError,
  registerAnnotationKind,
  type AnnotationKind,
} from "../../src/kinds/define.js";
import type { TableName } from "../../src/schema/tables.js";

const base = defineKind({
  id: "notes",
  table: "notes",
  baseClass: "Note",
  slot: "note",
  slotOrder: 50,
  since: "tessera",
  columns: [...entityAnnotation, col.str("text")],
  perFrame: false,
  references: ENTITY_ANNOTATION_REFS,
  rest: { resource: "notes", name: "note", tag: "Notes", filters: ENTITY_ANNOTATION_FILTERS, order: 50 },
  permissions: "annotate",
  io: { v2: { key: "note", fields: ["text"], exportFields: ["text"] } },
});

function reason(kind: AnnotationKind): string {
  try {
    registerAnnotationKind(kind);
  } catch (err) {
    if (err instanceof KindRegistryError) return `${err.reason}: ${err.message}`;
    throw err;
  }
  return "registered";
}

describe("the annotation-kind registry (docs/ARCHITECTURE.md §9)", () => {
  it("refuses a kind that clashes with a built-in or is malformed, before anything reads the registry", () => {
    expect(isRegistryFrozen()).toBe(false);
    expect(reason({ ...base, id: "bboxes", table: "bboxes" })).toMatch(/^duplicate: .*id "bboxes"/);
    expect(reason({ ...base, slot: "bbox" })).toMatch(/^duplicate: .*slot "bbox"/);
    expect(reason({ ...base, baseClass: "BBox" })).toMatch(/^duplicate: .*base class "BBox"/);
    expect(reason({ ...base, rest: { ...base.rest, resource: "multi-paths" } })).toMatch(/resource "multi-paths"/);
    expect(reason({ ...base, io: { v1: { key: "note", aliases: ["polygon"], fields: [] } } })).toMatch(
      /v1 key "polygon" is taken by "multi_paths"/,
    );
    expect(reason({ ...base, io: { v2: { key: "mask", fields: [], exportFields: [] } } })).toMatch(/v2 kind "mask"/);
    expect(reason({ ...base, table: "other" })).toMatch(/^invalid: /);
    expect(reason({ ...base, id: "records", table: "records" })).toMatch(/^invalid: .*reserved/);
    expect(reason({ ...base, columns: [col.str("id"), col.str("text")] })).toMatch(/^invalid: .*record_id/);
  });

  it("derives Pixano's tables, slots, references and orders from the built-in kinds; freezes on first read", async () => {
    const s = await import("../../src/index.js");
    expect(isRegistryFrozen()).toBe(true);
    expect(s.ANNOTATION_KINDS.map((k) => k.id)).toEqual([
      "bboxes",
      "masks",
      "keypoints",
      "multi_paths",
      "tracklets",
      "text_spans",
      "messages",
      "classifications",
      "relations",
    ]);
    for (const k of s.ANNOTATION_KINDS) {
      expect(k.table).toBe(k.id);
      expect(s.TABLES[k.id as TableName]).toMatchObject({ name: k.id, baseClass: k.baseClass, group: "annotations" });
    }
    expect(s.TABLE_NAMES).toEqual([
      "records",
      "images",
      "sequence_frames",
      "videos",
      "texts",
      "pdfs",
      "point_clouds",
      "entities",
      "entity_dynamic_states",
      ...s.ANNOTATION_KINDS.map((k) => k.id),
      "embeddings",
    ]);
    expect(s.SLOTS).toEqual([
      "record",
      "entity",
      "entity_dynamic_state",
      "bbox",
      "mask",
      "keypoint",
      "tracklet",
      "message",
      "multi_path",
      "text_span",
    ]);
    expect(s.SLOTS_08).toEqual(["classification", "relation"]);
    expect(s.INFO_KEY_ORDER.slice(10)).toEqual([
      "record",
      "entity",
      "entity_dynamic_state",
      "bbox",
      "mask",
      "keypoint",
      "classification",
      "relation",
      "tracklet",
      "message",
      "multi_path",
      "text_span",
      "timeseries",
      "views",
    ]);
    expect(s.ANNOTATION_TABLES).toEqual([
      "bboxes",
      "masks",
      "keypoints",
      "multi_paths",
      "tracklets",
      "text_spans",
      "classifications",
      "relations",
      "messages",
    ]);
    expect(s.kindsInRouteOrder().map((k) => k.rest.resource)).toEqual([
      "tracklets",
      "bboxes",
      "masks",
      "multi-paths",
      "keypoints",
      "classifications",
      "relations",
      "messages",
      "text-spans",
    ]);
    const refs = (t: TableName) => s.referencesOf(t).map((r) => `${r.field}:${r.onDelete}`);
    expect(refs("bboxes")).toEqual([
      "record_id:cascade",
      "view_id:cascade",
      "frame_id:cascade",
      "entity_id:cascade",
      "tracklet_id:cascade",
      "entity_dynamic_state_id:clear",
    ]);
    expect(refs("messages")).toEqual(["record_id:cascade", "view_id:cascade", "entity_ids:clear"]);
    expect(s.referenceAt("relations", "subject_id")?.target).toEqual(s.ANNOTATION_TABLES);
    expect(s.kindByV1Key("polyline")?.id).toBe("multi_paths");
    expect(s.kindByV2Key("text_span")?.id).toBe("text_spans");
    expect(reason(base)).toMatch(/^frozen: /);
    expect(s.kindOf("notes")).toBeUndefined();
  });
});

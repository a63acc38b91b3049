import { col } from "../schema/columns.js";
import { perFrame } from "../schema/columnGroups.js";
import { ALL_FILTERS, defineKind, ENTITY_ANNOTATION_REFS, PER_FRAME_REFS } from "./types.js";

/** Pixano's `BBox`: a box on one frame of a view. */
export const bboxes = defineKind({
  id: "bboxes",
  table: "bboxes",
  baseClass: "BBox",
  slot: "bbox",
  slotOrder: 0,
  since: "0.7",
  columns: [
    ...perFrame,
    col.floatList("coords"),
    col.str("format", "xywh"),
    col.bool("is_normalized", true),
    col.float("confidence", -1),
  ],
  perFrame: true,
  references: [...ENTITY_ANNOTATION_REFS, ...PER_FRAME_REFS],
  rest: { resource: "bboxes", name: "bbox", tag: "BBoxes", filters: ALL_FILTERS, order: 1 },
  permissions: "annotate",
  io: {
    v1: { key: "bbox", aliases: ["bboxes", "box"], fields: ["coords", "format", "is_normalized", "confidence"] },
    v2: {
      key: "bbox",
      fields: ["coords", "format", "is_normalized", "confidence"],
      exportFields: ["coords", "format", "is_normalized", "confidence"],
    },
  },
});

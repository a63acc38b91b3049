import { col } from "../schema/columns.js";
import { perFrame } from "../schema/columnGroups.js";
import { ALL_FILTERS, defineKind, ENTITY_ANNOTATION_REFS, PER_FRAME_REFS } from "./types.js";

/** Pixano's `KeyPoints`: a skeleton (template + per-point states) on one frame of a view. */
export const keypoints = defineKind({
  id: "keypoints",
  table: "keypoints",
  baseClass: "KeyPoints",
  slot: "keypoint",
  slotOrder: 2,
  since: "0.7",
  columns: [...perFrame, col.str("template_id"), col.floatList("coords"), col.strList("states")],
  perFrame: true,
  references: [...ENTITY_ANNOTATION_REFS, ...PER_FRAME_REFS],
  rest: { resource: "keypoints", name: "keypoints", tag: "KeyPoints", filters: ALL_FILTERS, order: 4 },
  permissions: "annotate",
  io: {
    v1: { key: "keypoints", aliases: ["keypoint"], fields: ["template_id", "coords", "states"] },
    v2: {
      key: "keypoints",
      fields: ["template_id", "coords", "states"],
      exportFields: ["template_id", "coords", "states"],
    },
  },
});

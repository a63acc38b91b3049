import { col } from "../schema/columns.js";
import { perFrame } from "../schema/columnGroups.js";
import { ALL_FILTERS, defineKind, ENTITY_ANNOTATION_REFS, PER_FRAME_REFS } from "./types.js";

/** Pixano's `MultiPath`: polygons and polylines on one frame of a view. */
export const multiPaths = defineKind({
  id: "multi_paths",
  table: "multi_paths",
  baseClass: "MultiPath",
  slot: "multi_path",
  slotOrder: 7,
  since: "0.7",
  columns: [...perFrame, col.floatList("coords"), col.intList("num_points"), col.bool("is_closed")],
  perFrame: true,
  references: [...ENTITY_ANNOTATION_REFS, ...PER_FRAME_REFS],
  rest: { resource: "multi-paths", name: "multi_path", tag: "Multi-Paths", filters: ALL_FILTERS, order: 3 },
  permissions: "annotate",
  io: {
    v1: {
      key: "multi_path",
      aliases: ["multi_paths", "polygon", "polygons", "polyline", "polylines"],
      fields: ["coords", "num_points", "is_closed"],
    },
    v2: {
      key: "multi_path",
      fields: ["coords", "num_points", "is_closed"],
      exportFields: ["coords", "num_points", "is_closed"],
    },
  },
});

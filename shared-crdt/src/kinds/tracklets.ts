import { col } from "../schema/columns.js";
import { entityAnnotation } from "../schema/columnGroups.js";
import { defineKind, ENTITY_ANNOTATION_FILTERS, ENTITY_ANNOTATION_REFS } from "./types.js";

/** Pixano's `Tracklet`: an entity's time range on a video or sequence (the JSONL grammars derive it). */
export const tracklets = defineKind({
  id: "tracklets",
  table: "tracklets",
  baseClass: "Tracklet",
  slot: "tracklet",
  slotOrder: 5,
  since: "0.7",
  columns: [
    ...entityAnnotation,
    col.int("start_timestep", -1),
    col.int("end_timestep", -1),
    col.float("start_timestamp", -1),
    col.float("end_timestamp", -1),
  ],
  perFrame: false,
  references: ENTITY_ANNOTATION_REFS,
  rest: { resource: "tracklets", name: "tracklet", tag: "Tracklets", filters: ENTITY_ANNOTATION_FILTERS, order: 0 },
  permissions: "annotate",
  io: {},
});

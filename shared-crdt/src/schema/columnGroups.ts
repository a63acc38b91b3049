import { col } from "./columns.js";

/**
 * Column runs shared by several Pixano base classes (pydantic inheritance: base-class fields come
 * first). The canonical tables (`tables.ts`) and the annotation kinds (`src/kinds/`) build their
 * column lists from these.
 */
export const recordComponent = [col.str("id"), col.str("record_id")] as const;

export const provenance = [col.str("source_type"), col.str("source_name"), col.str("source_metadata", "{}")] as const;

/** Pixano's `Annotation` on an entity: what every entity-attached annotation row starts with. */
export const entityAnnotation = [...recordComponent, col.str("entity_id"), ...provenance, col.str("view_id")] as const;

/** An annotation drawn on one frame of a view (bboxes, masks, keypoints, multi-paths). */
export const perFrame = [
  ...entityAnnotation,
  col.str("tracklet_id"),
  col.str("entity_dynamic_state_id"),
  col.str("frame_id"),
  col.int("frame_index", -1),
] as const;

import type { ComponentTable } from "../schema/tables.js";

/**
 * The references between a record's component rows (Pixano spec §2.1, §10 item 8), as data, so
 * integrity checks and cascading deletes read one table instead of repeating it.
 */
export interface Reference {
  readonly table: ComponentTable;
  readonly field: string;
  /** Tables the referenced id may live in. */
  readonly target: readonly ComponentTable[];
  /** A list of ids (`entity_ids`) rather than a single id. */
  readonly many?: boolean;
  /** Deleting the target deletes this row (`cascade`) or just clears the reference (`clear`). */
  readonly onDelete: "cascade" | "clear";
}

const ANNOTATIONS_WITH_ENTITY = ["bboxes", "masks", "keypoints", "multi_paths", "tracklets", "text_spans", "classifications", "relations"] as const;
const PER_FRAME = ["bboxes", "masks", "keypoints", "multi_paths"] as const;
export const ANNOTATION_TABLES: readonly ComponentTable[] = [...ANNOTATIONS_WITH_ENTITY, "messages"];

export const REFERENCES: readonly Reference[] = [
  { table: "entities", field: "parent_id", target: ["entities"], onDelete: "cascade" },
  { table: "entity_dynamic_states", field: "entity_id", target: ["entities"], onDelete: "cascade" },
  { table: "entity_dynamic_states", field: "tracklet_id", target: ["tracklets"], onDelete: "cascade" },
  ...ANNOTATIONS_WITH_ENTITY.map((table) => ({ table, field: "entity_id", target: ["entities"] as const, onDelete: "cascade" as const })),
  ...PER_FRAME.map((table) => ({ table, field: "tracklet_id", target: ["tracklets"] as const, onDelete: "cascade" as const })),
  ...PER_FRAME.map((table) => ({
    table,
    field: "entity_dynamic_state_id",
    target: ["entity_dynamic_states"] as const,
    onDelete: "clear" as const,
  })),
  { table: "messages", field: "entity_ids", target: ["entities"], many: true, onDelete: "clear" },
  { table: "relations", field: "subject_id", target: ANNOTATION_TABLES, onDelete: "cascade" },
  { table: "relations", field: "object_id", target: ANNOTATION_TABLES, onDelete: "cascade" },
];

/** Per-frame references that must point at a row of the same entity (Pixano's cross-entity check). */
export const SAME_ENTITY_FIELDS: ReadonlySet<string> = new Set(["tracklet_id", "entity_dynamic_state_id"]);

import { col } from "../schema/columns.js";
import { entityAnnotation } from "../schema/columnGroups.js";
import { defineKind, ENTITY_ANNOTATION_FILTERS, ENTITY_ANNOTATION_REFS } from "./types.js";

/** Pixano 0.8's `Relation`: a predicate between two annotations (`relation` is reserved in JSONL v2). */
export const relations = defineKind({
  id: "relations",
  table: "relations",
  baseClass: "Relation",
  slot: "relation",
  slotOrder: 4,
  since: "0.8",
  columns: [...entityAnnotation, col.str("predicate"), col.str("subject_id"), col.str("object_id")],
  perFrame: false,
  references: [
    ...ENTITY_ANNOTATION_REFS,
    // A relation does not outlive either end.
    { field: "subject_id", target: "annotations", scope: "record", onDelete: "cascade" },
    { field: "object_id", target: "annotations", scope: "record", onDelete: "cascade" },
  ],
  rest: { resource: "relations", name: "relation", tag: "Relations", filters: ENTITY_ANNOTATION_FILTERS, order: 6 },
  permissions: "annotate",
  io: {},
});

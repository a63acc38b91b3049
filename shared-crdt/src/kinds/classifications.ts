import { col } from "../schema/columns.js";
import { entityAnnotation } from "../schema/columnGroups.js";
import { defineKind, ENTITY_ANNOTATION_FILTERS, ENTITY_ANNOTATION_REFS } from "./types.js";

/** Pixano 0.8's `Classification`: labels (with confidences) of an entity on a view. */
export const classifications = defineKind({
  id: "classifications",
  table: "classifications",
  baseClass: "Classification",
  slot: "classification",
  slotOrder: 3,
  since: "0.8",
  columns: [...entityAnnotation, col.strList("labels"), col.floatList("confidences")],
  perFrame: false,
  references: ENTITY_ANNOTATION_REFS,
  rest: {
    resource: "classifications",
    name: "classification",
    tag: "Classifications",
    filters: ENTITY_ANNOTATION_FILTERS,
    order: 5,
  },
  permissions: "annotate",
  io: {
    v1: { key: "classification", aliases: [], fields: ["labels", "confidences"] },
    v2: { key: "classification", fields: ["labels", "confidences"], exportFields: ["labels", "confidences"] },
  },
});

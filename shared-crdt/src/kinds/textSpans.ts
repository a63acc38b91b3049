import { col } from "../schema/columns.js";
import { entityAnnotation } from "../schema/columnGroups.js";
import { defineKind, ENTITY_ANNOTATION_FILTERS, ENTITY_ANNOTATION_REFS } from "./types.js";

/** Pixano's `TextSpan`: character ranges of a text view naming an entity. */
export const textSpans = defineKind({
  id: "text_spans",
  table: "text_spans",
  baseClass: "TextSpan",
  slot: "text_span",
  slotOrder: 8,
  since: "0.7",
  columns: [...entityAnnotation, col.str("mention"), col.intList("spans_start"), col.intList("spans_end")],
  perFrame: false,
  references: ENTITY_ANNOTATION_REFS,
  rest: { resource: "text-spans", name: "text_span", tag: "Text Spans", filters: ENTITY_ANNOTATION_FILTERS, order: 8 },
  permissions: "annotate",
  io: {
    v1: { key: "text_span", aliases: ["text_spans"], fields: ["mention", "spans_start", "spans_end"] },
    v2: {
      key: "text_span",
      fields: ["mention", "spans_start", "spans_end"],
      exportFields: ["mention", "spans_start", "spans_end"],
    },
  },
});

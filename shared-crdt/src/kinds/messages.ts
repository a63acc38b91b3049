import { col } from "../schema/columns.js";
import { provenance, recordComponent } from "../schema/columnGroups.js";
import { defineKind, ENTITY_ANNOTATION_FILTERS } from "./types.js";

/** Pixano's `Message`: one turn of a VQA conversation (the JSONL grammars carry it as `conversations`). */
export const messages = defineKind({
  id: "messages",
  table: "messages",
  baseClass: "Message",
  slot: "message",
  slotOrder: 6,
  since: "0.7",
  columns: [
    ...recordComponent,
    col.strList("entity_ids"),
    ...provenance,
    col.str("view_id"),
    col.str("conversation_id"),
    col.int("number"),
    col.str("user"),
    col.str("type"),
    // Several people edit one question at once: its text merges (SPEC D-TEXT).
    col.text("content"),
    col.strList("choices"),
    col.str("question_type"),
  ],
  perFrame: false,
  // Its rows point at any number of entities (`entity_ids`), never one.
  entityAttached: false,
  references: [
    { field: "record_id", target: "records", scope: "dataset", onDelete: "cascade" },
    { field: "view_id", target: "views", scope: "dataset", onDelete: "cascade" },
    { field: "entity_ids", target: "entities", scope: "record", onDelete: "clear", many: true },
  ],
  rest: { resource: "messages", name: "message", tag: "Messages", filters: ENTITY_ANNOTATION_FILTERS, order: 7 },
  permissions: "annotate",
  io: {},
});

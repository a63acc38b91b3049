import { describe, expect, it } from "vitest";
// Only the declaration entry: the registry stays open until the package root is imported below.
import { BUILTIN_KINDS } from "../../src/kinds/builtins.js";
import {
  col,
  defineKind,
  ENTITY_ANNOTATION_FILTERS,
  isEntityAttached,
  KindRegistryError,
  recordComponent,
  registerAnnotationKind,
  type AnnotationKind,
} from "../../src/kinds/define.js";

/** A kind whose rows are not one entity's: record columns and a list of entity ids, like `messages`. */
const notes = defineKind({
  id: "group_notes",
  table: "group_notes",
  baseClass: "GroupNote",
  slot: "group_note",
  slotOrder: 60,
  since: "tessera",
  columns: [...recordComponent, col.strList("entity_ids"), col.str("text")],
  perFrame: false,
  entityAttached: false,
  references: [{ field: "record_id", target: "records", scope: "dataset", onDelete: "cascade" }],
  rest: {
    resource: "group-notes",
    name: "group_note",
    tag: "Group Notes",
    filters: ENTITY_ANNOTATION_FILTERS,
    order: 60,
  },
  permissions: "annotate",
  io: {},
});

function reason(kind: AnnotationKind): string {
  try {
    registerAnnotationKind(kind);
  } catch (err) {
    if (err instanceof KindRegistryError) return `${err.reason}: ${err.message}`;
    throw err;
  }
  return "registered";
}

describe("entityAttached: whether a kind's rows belong to one entity is declared by the kind, not by its name", () => {
  it("every built-in kind declares it consistently with its entity_id column; only messages is not attached", () => {
    for (const k of BUILTIN_KINDS)
      expect(isEntityAttached(k), k.id).toBe(k.columns.some((c) => c.name === "entity_id"));
    expect(BUILTIN_KINDS.filter((k) => !isEntityAttached(k)).map((k) => k.id)).toEqual(["messages"]);
  });

  it("refuses a kind whose entityAttached contradicts its columns, and takes one that is not attached", () => {
    expect(reason({ ...notes, entityAttached: true })).toMatch(/^invalid: .*entity_id/);
    expect(reason({ ...notes, entityAttached: undefined })).toMatch(/^invalid: .*entity_id/);
    expect(reason({ ...notes, columns: [...notes.columns, col.str("entity_id")] })).toMatch(/^invalid: .*entity_id/);
    expect(reason(notes)).toBe("registered");
  });

  it("the derived tables read it: a registered kind without an entity is left out of ENTITY_ANNOTATION_TABLES", async () => {
    const s = await import("../../src/index.js");
    expect(s.ENTITY_ANNOTATION_TABLES).not.toContain("messages");
    expect(s.ENTITY_ANNOTATION_TABLES).not.toContain("group_notes");
    expect(s.ENTITY_ANNOTATION_TABLES).toContain("bboxes");
    // Pixano's `annotations` group: the entity-attached kinds first, then the others.
    expect(s.ANNOTATION_TABLES.slice(-2)).toEqual(["messages", "group_notes"]);
  });
});

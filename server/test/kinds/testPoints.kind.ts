import {
  col,
  defineKind,
  ENTITY_ANNOTATION_FILTERS,
  ENTITY_ANNOTATION_REFS,
  entityAnnotation,
  registerAnnotationKind,
} from "@tessera/shared-crdt/kinds";

/**
 * A test-only annotation kind (docs/ARCHITECTURE.md §9, the worked example): a labelled point on
 * a view. This module is the whole declaration; importing it registers the kind, so it must be
 * imported before anything imports `@tessera/shared-crdt` (the first read freezes the registry).
 */
export const testPoints = defineKind({
  id: "test_points",
  table: "test_points",
  baseClass: "TestPoint",
  slot: "test_point",
  slotOrder: 100,
  since: "tessera",
  columns: [...entityAnnotation, col.str("label"), col.float("x"), col.float("y")],
  perFrame: false,
  references: ENTITY_ANNOTATION_REFS,
  rest: {
    resource: "test-points",
    name: "test_point",
    tag: "Test Points",
    filters: ENTITY_ANNOTATION_FILTERS,
    order: 100,
  },
  permissions: "annotate",
  // A value rule of its own: a point is normalised to the view.
  rules: [
    (row, issue) => {
      for (const f of ["x", "y"])
        if (typeof row[f] === "number" && (row[f] < 0 || row[f] > 1)) issue(f, "must be in [0, 1]");
    },
  ],
  io: {
    v1: { key: "test_point", aliases: ["test_points"], fields: ["label", "x", "y"] },
    v2: { key: "test_point", fields: ["label", "x", "y"], exportFields: ["label", "x", "y"] },
  },
});

registerAnnotationKind(testPoints);

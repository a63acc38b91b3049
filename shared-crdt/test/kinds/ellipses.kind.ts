import {
  ALL_FILTERS,
  col,
  defineKind,
  ENTITY_ANNOTATION_REFS,
  PER_FRAME_REFS,
  perFrame,
  registerAnnotationKind,
} from "@tessera/shared-crdt/kinds";

/**
 * The data half of the test-only `ellipses` kind (docs/ARCHITECTURE.md §9, "Recipe: add a kind",
 * the worked example): an ellipse drawn on one frame of a view, as normalised centre and radii.
 * Its columns are the per-frame run every shape kind starts with (record, entity, provenance,
 * view, frame, tracklet) and its own four. Importing this module registers it, so it must be
 * imported before anything imports `@tessera/shared-crdt` (the first read freezes the registry).
 * Its client half is `client/test/kinds/ellipses.kind.ts`.
 */
export const ellipses = defineKind({
  id: "ellipses",
  table: "ellipses",
  baseClass: "Ellipse",
  slot: "ellipse",
  slotOrder: 100,
  since: "tessera",
  columns: [...perFrame, col.float("cx"), col.float("cy"), col.float("rx"), col.float("ry")],
  perFrame: true,
  references: [...ENTITY_ANNOTATION_REFS, ...PER_FRAME_REFS],
  rest: { resource: "ellipses", name: "ellipse", tag: "Ellipses", filters: ALL_FILTERS, order: 100 },
  permissions: "annotate",
  // Its own value rule, run by the shared validator after the column types.
  rules: [
    (row, issue) => {
      for (const f of ["rx", "ry"]) if (typeof row[f] === "number" && !(row[f] > 0)) issue(f, "must be positive");
    },
  ],
  io: {
    v1: { key: "ellipse", aliases: ["ellipses"], fields: ["cx", "cy", "rx", "ry"] },
    v2: { key: "ellipse", fields: ["cx", "cy", "rx", "ry"], exportFields: ["cx", "cy", "rx", "ry"] },
  },
});

registerAnnotationKind(ellipses);

import { col } from "../schema/columns.js";
import { perFrame } from "../schema/columnGroups.js";
import { ALL_FILTERS, defineKind, ENTITY_ANNOTATION_REFS, PER_FRAME_REFS } from "./types.js";

/** Pixano's `CompressedRLE`: a COCO RLE mask on one frame of a view. */
export const masks = defineKind({
  id: "masks",
  table: "masks",
  baseClass: "CompressedRLE",
  slot: "mask",
  slotOrder: 1,
  since: "0.7",
  columns: [...perFrame, col.intList("size"), col.binaryText("counts")],
  perFrame: true,
  references: [...ENTITY_ANNOTATION_REFS, ...PER_FRAME_REFS],
  rest: { resource: "masks", name: "mask", tag: "Masks", filters: ALL_FILTERS, order: 2 },
  permissions: "annotate",
  io: {
    v1: { key: "mask", aliases: ["masks", "segmentation"], fields: ["size", "counts", "polygons"] },
    // v2 writes a mask back as `rle: {size, counts}` (the grammar's one nested value).
    v2: { key: "mask", fields: ["rle", "polygons"], exportFields: ["size", "counts"] },
  },
});

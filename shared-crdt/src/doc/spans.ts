import * as Y from "yjs";
import type { NewRow } from "../schema/rowTypes.js";
import { readRow, transact } from "./access.js";
import { isComponentTable, tableMap } from "./layout.js";
import { addRow, createEntity, deleteRows, updateRow, type DocContext } from "./mutators.js";
import type { Origin } from "./origins.js";
import { selectionToRanges, spanColumns, type TextRange } from "./textOffsets.js";

/**
 * Entity-linking edits (SPEC S-SPANS-CREATE … S-SPANS-RELINK): text spans made from a person's selection of a text view,
 * linked to an entity of the record. Offsets are Pixano's (S-SPANS-UNIT): the selection is snapped
 * to whole graphemes and written with its mention; each edit is one transaction (one undo step).
 * The text itself is a view row (`texts`), not part of the record document: callers pass it.
 */

export class SpanEditError extends Error {
  override readonly name = "SpanEditError";
  constructor(
    readonly reason: "empty_selection" | "missing_entity" | "missing_span",
    message: string,
  ) {
    super(message);
  }
}

/** Where a span is made: a text view of the record, its content, and the selected ranges. */
export interface SpanTarget {
  readonly viewId: string;
  readonly text: string;
  /** JavaScript string indices (= Pixano offsets), in any order; several make a discontinuous span. */
  readonly selection: readonly TextRange[];
}

function rangesOf(target: SpanTarget): TextRange[] {
  const ranges = selectionToRanges(target.text, target.selection);
  if (ranges.length === 0) throw new SpanEditError("empty_selection", "the selection holds no text");
  return ranges;
}

function mustHaveEntity(ctx: DocContext, entityId: string): void {
  if (!readRow(ctx.doc, "entities", entityId))
    throw new SpanEditError("missing_entity", `entities[${entityId}] does not exist in this record`);
}

function mustHaveSpan(ctx: DocContext, spanId: string): void {
  if (!readRow(ctx.doc, "text_spans", spanId))
    throw new SpanEditError("missing_span", `text_spans[${spanId}] does not exist in this record`);
}

/**
 * S-SPANS-CREATE: a span over the selection, linked to an existing entity (`entityId`) or to a new
 * one made in the same transaction (`entity`, e.g. its name). Returns both ids.
 */
export function createSpan(
  ctx: DocContext,
  origin: Origin,
  target: SpanTarget,
  link: { readonly entityId: string } | { readonly entity: NewRow<"entities"> },
): { spanId: string; entityId: string } {
  const row: NewRow<"text_spans"> = {
    view_id: target.viewId,
    source_type: "human",
    ...spanColumns(target.text, rangesOf(target)),
  };
  if ("entityId" in link) {
    mustHaveEntity(ctx, link.entityId);
    const spanId = addRow(ctx, origin, "text_spans", { ...row, entity_id: link.entityId });
    return { spanId, entityId: link.entityId };
  }
  const made = createEntity(ctx, origin, { entity: link.entity, annotation: { table: "text_spans", row } });
  return { spanId: made.annotationId ?? "", entityId: made.entityId };
}

/** S-SPANS-RANGES: replaces a span's ranges (add or drop a piece of a discontinuous span) and its mention. */
export function setSpanRanges(ctx: DocContext, origin: Origin, spanId: string, target: SpanTarget): void {
  mustHaveSpan(ctx, spanId);
  updateRow(ctx, origin, "text_spans", spanId, spanColumns(target.text, rangesOf(target)));
}

/** Whether any row of the record names this entity (an annotation, a child entity, a message's `entity_ids`). */
function isReferenced(ctx: DocContext, entityId: string): boolean {
  for (const table of ctx.schema.tables.keys()) {
    if (!isComponentTable(table)) continue;
    for (const m of tableMap(ctx.doc, table).values()) {
      if (!(m instanceof Y.Map)) continue;
      if (table === "entities" ? m.get("parent_id") === entityId : m.get("entity_id") === entityId) return true;
      const many: unknown = m.get("entity_ids");
      if (Array.isArray(many) && many.includes(entityId)) return true;
    }
  }
  return false;
}

/**
 * S-SPANS-RELINK: links a span to another entity of the record, in one transaction. The entity it
 * leaves goes with it when nothing else names it any more (no invisible leftovers in the list),
 * unless `keepOrphan`.
 */
export function relinkSpan(
  ctx: DocContext,
  origin: Origin,
  spanId: string,
  entityId: string,
  options: { readonly keepOrphan?: boolean } = {},
): void {
  mustHaveSpan(ctx, spanId);
  mustHaveEntity(ctx, entityId);
  const before = readRow(ctx.doc, "text_spans", spanId)?.entity_id ?? "";
  if (before === entityId) return;
  transact(ctx.doc, origin, () => {
    updateRow(ctx, origin, "text_spans", spanId, { entity_id: entityId });
    if (
      before !== "" &&
      options.keepOrphan !== true &&
      readRow(ctx.doc, "entities", before) &&
      !isReferenced(ctx, before)
    )
      deleteRows(ctx, origin, "entities", [before]);
  });
}

/** S-SPANS-RELINK: deletes a span; its entity goes with it when nothing else names it (unless `keepOrphan`). */
export function deleteSpan(
  ctx: DocContext,
  origin: Origin,
  spanId: string,
  options: { readonly keepOrphan?: boolean } = {},
): void {
  mustHaveSpan(ctx, spanId);
  const entityId = readRow(ctx.doc, "text_spans", spanId)?.entity_id ?? "";
  transact(ctx.doc, origin, () => {
    deleteRows(ctx, origin, "text_spans", [spanId]);
    if (
      entityId !== "" &&
      options.keepOrphan !== true &&
      readRow(ctx.doc, "entities", entityId) &&
      !isReferenced(ctx, entityId)
    )
      deleteRows(ctx, origin, "entities", [entityId]);
  });
}

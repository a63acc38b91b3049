import type * as Y from "yjs";
import { COMPONENT_TABLES, type ComponentTable } from "../schema/tables.js";

/**
 * The `Y.Doc` layout of one record (docs/ARCHITECTURE.md §3, SPEC D-LAYOUT):
 * - `record`: a `Y.Map` of the record's fields (`status`, `comment`, custom fields; not the
 *   timestamps, which the persist worker stamps);
 * - one `Y.Map` per component table, mapping row id → `Y.Map` of that row's fields. List-valued
 *   fields (coords, states, spans) are plain arrays replaced whole, so concurrent edits of one
 *   field resolve last-writer-wins per field, and edits of different fields merge; a
 *   collaborative text column (`messages.content`) is a `Y.Text` whose edits merge (D-TEXT).
 * Views are not in the document; awareness carries cursors, viewport, tool and selection.
 */
export const RECORD_MAP = "record";

/** Record columns that never live in the document. */
export const RECORD_COLUMNS_OUTSIDE_DOC: ReadonlySet<string> = new Set(["created_at", "updated_at"]);

export type RowMap = Y.Map<unknown>;

export function recordMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(RECORD_MAP);
}

export function tableMap(doc: Y.Doc, table: ComponentTable): Y.Map<RowMap> {
  return doc.getMap<RowMap>(table);
}

export function isComponentTable(name: string): name is ComponentTable {
  return (COMPONENT_TABLES as readonly string[]).includes(name);
}

/** The document's guid: `datasetId/recordId`. */
export function recordDocGuid(datasetId: string, recordId: string): string {
  return `${datasetId}/${recordId}`;
}

import { checkForeignKeys, checkPixanoRow, fkTargets, type DatasetHandle, type IdLookup } from "@tessera/dataset";
import { hasRow, isComponentTable, type Row, type TableName, type TableSchema } from "@tessera/shared-crdt";
import type * as Y from "yjs";
import { toFieldIssues } from "./bodyIssues.js";
import { HttpError, RequestValidationError } from "./errors.js";

/**
 * REST creates and updates are checked as Pixano 0.8's REST checks them (SPEC R-PIXANO): its
 * pydantic models (field types in lax mode → 422; the model's validator → 400 "Invalid data")
 * and its references (`record_id`, `entity_id`, `parent_id`, per-frame `tracklet_id` /
 * `entity_dynamic_state_id` of the same entity, `messages.entity_ids`, relations' `subject_id` /
 * `object_id`; any record, as Pixano
 * looks them up table-wide → 400 "Foreign key violation" / "Cross-entity check failed").
 * Tessera's stricter rules (S-ID, S-BBOX's x2 ≥ x1, S-MASK's RLE alphabet, D-REF inside the
 * record) do not apply to REST writes: what Pixano's REST stores, Tessera's stores as well.
 */

/** The row as Pixano would store it (converted values, defaults filled), or the error Pixano answers. */
export function pixanoRow(schema: TableSchema, fields: Row, body: unknown, now: () => Date = () => new Date()): Row {
  const r = checkPixanoRow(schema, fields, now);
  if (r.typeIssues.length > 0) {
    throw new RequestValidationError(
      toFieldIssues(
        r.typeIssues.map((i) => ({ path: `${schema.table.name}.${i.field}`, message: i.message, code: i.code })),
        body,
      ),
    );
  }
  if (r.modelIssues.length > 0) {
    throw new HttpError(
      400,
      `Invalid data: ${r.modelIssues.map((i) => `${schema.table.name}.${i.field}: ${i.message}`).join("; ")}`,
    );
  }
  return r.row;
}

/**
 * A partial update as Pixano applies it: the patch merged over the stored row, the whole row
 * re-validated. Returns the converted values of the patched fields only (what is written).
 */
export function pixanoPatch(schema: TableSchema, stored: Row, patch: Row, body: unknown): Row {
  const merged: Row = {};
  for (const c of schema.columns) if (c.name in stored) merged[c.name] = stored[c.name];
  for (const [k, v] of Object.entries(patch)) merged[k] = v;
  const row = pixanoRow(schema, merged, body);
  const out: Row = {};
  for (const k of Object.keys(patch)) out[k] = row[k];
  return out;
}

/** What Pixano 0.8's REST resolves before a write (`record_id` is checked by the caller; views are not checked). */
const PIXANO_REFERENCES = new Set([
  "entity_id",
  "entity_ids",
  "parent_id",
  "tracklet_id",
  "entity_dynamic_state_id",
  "subject_id",
  "object_id",
]);

/** The references Pixano checks, for the given changed columns (all of them on create). */
function referenceColumns(table: TableName, columns: readonly string[]): string[] {
  const wanted = new Set(columns);
  // A new entity_id must still own the per-frame tracklet / dynamic state (Pixano's cross-entity check).
  if (wanted.has("entity_id")) for (const f of ["tracklet_id", "entity_dynamic_state_id"]) wanted.add(f);
  return [...wanted].filter((c) => PIXANO_REFERENCES.has(c) && fkTargets(table, c) !== null);
}

function lookupOf(handle: DatasetHandle): IdLookup {
  return async (table, ids) => {
    if (!handle.schema.tables.has(table) || ids.length === 0) return [];
    const schema = handle.schema.tables.get(table);
    const columns = schema?.columns.some((c) => c.name === "entity_id") ? ["id", "entity_id"] : ["id"];
    const rows = await handle.getMany(table, ids, columns);
    return rows.map((r) => ({
      id: String(r.id),
      ...(typeof r.entity_id === "string" ? { entity_id: r.entity_id } : {}),
    }));
  };
}

/** A reference problem found in the library; it may still resolve in the live document of the record. */
export interface PendingReference {
  readonly field: string;
  readonly value: string;
  readonly targets: readonly TableName[];
  readonly message: string;
  readonly crossEntity: boolean;
}

/** Checks a row's references against the library (every record). Rows of the record not yet persisted are checked by {@link settleReferences}. */
export async function pixanoReferences(
  handle: DatasetHandle,
  table: TableName,
  row: Row,
  columns: readonly string[],
): Promise<PendingReference[]> {
  const fields = referenceColumns(table, columns);
  const issues = await checkForeignKeys(table, fields, [row], { lookup: lookupOf(handle) });
  return issues.map((i) => ({
    field: i.field,
    value: i.value,
    targets: fkTargets(table, i.field) ?? [],
    message: i.message,
    crossEntity: i.reason === "cross_entity",
  }));
}

/**
 * Inside the record's document transaction: a missing target that the document holds (a row a
 * live editor created, not yet folded into the library) resolves; what remains is Pixano's 400.
 * Without a document (`null`), every missing target is a 400.
 */
export function settleReferences(doc: Y.Doc | null, pending: readonly PendingReference[]): void {
  const left = pending.filter(
    (p) => p.crossEntity || !doc || !p.targets.some((t) => isComponentTable(t) && hasRow(doc, t, p.value)),
  );
  if (left.length === 0) return;
  throw new HttpError(400, left.map((p) => p.message).join(" "));
}

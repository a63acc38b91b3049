import type { DatasetHandle } from "@tessera/dataset";
import {
  deleteWithDependents,
  hasRow,
  isComponentTable,
  patchRow,
  writeRowCells,
  type Row,
  type TableSchema,
} from "@tessera/shared-crdt";
import { bodyShapeIssues } from "./bodyIssues.js";
import { HttpError, notFound, RequestValidationError } from "./errors.js";
import { isDotSegment } from "./requestTarget.js";
import { pixanoPatch, pixanoReferences, pixanoRow, settleReferences } from "./pixanoRest.js";
import type { RecordDocsPort, RestIdentity } from "./recordDocs.js";

/**
 * Create / update / delete of one row through the dataset library, with Pixano's request rules:
 * `id` required on create, partial updates that ignore `null`, server-owned timestamps, and
 * 0.8's idempotent create (same id and same content → the stored row; different content → 409).
 */

/** A table of one dataset, as a route works on it. */
export interface TableAccess {
  readonly handle: DatasetHandle;
  readonly schema: TableSchema;
  /** Columns a client may not send nor read (embeddings: `vector`). */
  readonly exclude?: ReadonlySet<string>;
  /** When present, annotation and record-field writes go through the record documents. */
  readonly docs?: { readonly port: RecordDocsPort; readonly who: RestIdentity };
}

/** The document route of a write, when this table's rows live in record documents. */
function viaDocs(access: TableAccess): { port: RecordDocsPort; who: RestIdentity } | null {
  const name = access.schema.table.name;
  return access.docs && (isComponentTable(name) || name === "records") ? access.docs : null;
}

function foreignRecord(recordId: unknown): HttpError {
  return new HttpError(400, `Foreign key violation: record_id='${String(recordId)}' not found in 'records'.`);
}

const SERVER_OWNED = new Set(["created_at", "updated_at"]);

function rowNotFound(id: string, table: string): HttpError {
  return notFound(`Resource '${id}' not found in '${table}'.`);
}

export async function getRow(access: TableAccess, id: string): Promise<Row> {
  const row = await access.handle.get(access.schema.table.name, id);
  if (!row) throw rowNotFound(id, access.schema.table.name);
  return row;
}

/** Keeps the fields a client may write: known columns, minus server-owned and excluded ones. */
function writableFields(
  access: TableAccess,
  body: Record<string, unknown>,
  opts: { dropNull: boolean; dropId: boolean },
): Record<string, unknown> {
  const columns = new Set(access.schema.columns.map((c) => c.name));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (!columns.has(k) || SERVER_OWNED.has(k) || access.exclude?.has(k)) continue;
    if (opts.dropId && k === "id") continue;
    if (opts.dropNull && v === null) continue;
    out[k] = v;
  }
  return out;
}

function sameCell(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameCell(x, b[i]));
  return a === b;
}

function sameRow(schema: TableSchema, a: Row, b: Row, exclude?: ReadonlySet<string>): boolean {
  return schema.columns.every(
    (c) => SERVER_OWNED.has(c.name) || exclude?.has(c.name) === true || sameCell(a[c.name] ?? null, b[c.name] ?? null),
  );
}

export interface Created {
  readonly row: Row;
  /** False when an identical row already existed (idempotent retry). */
  readonly created: boolean;
}

export async function createRow(access: TableAccess, body: unknown): Promise<Created> {
  const shape = bodyShapeIssues(body);
  if (shape.length > 0) throw new RequestValidationError(shape);
  const obj = body as Record<string, unknown>;
  if (obj.id === undefined)
    throw new RequestValidationError([{ type: "missing", loc: ["body", "id"], msg: "Field required", input: body }]);
  // A row named `.` or `..` could be stored but never addressed: URLs drop dot-segments (requestTarget.ts).
  if (isDotSegment(obj.id)) {
    throw new RequestValidationError([
      {
        type: "value_error",
        loc: ["body", "id"],
        msg: 'Value error, an id may not be "." or "..": URLs remove these dot-segments, so the row could never be addressed',
        input: obj.id,
      },
    ]);
  }
  const fields = writableFields(access, obj, { dropNull: false, dropId: false });
  // Pixano's rules, not Tessera's stricter live-edit rules (SPEC R-PIXANO).
  const row = pixanoRow(access.schema, fields, body);
  const table = access.schema.table.name;
  const id = row.id as string;
  const existing = await access.handle.get(table, id);
  if (existing) {
    if (sameRow(access.schema, existing, row, access.exclude)) return { row: existing, created: false };
    throw new HttpError(409, { code: "id_conflict", message: "A different resource already exists with this id." });
  }
  if (!isComponentTable(table)) {
    // records, embeddings: straight to the library, which checks their ids and references.
    const [added] = await access.handle.add(table, [row], { prevalidated: true });
    if (!added) throw new Error(`add(${table}) returned no row`);
    return { row: added, created: true };
  }
  const recordId = row.record_id;
  if (typeof recordId !== "string" || recordId === "" || !(await access.handle.get("records", recordId)))
    throw foreignRecord(recordId);
  const references = await pixanoReferences(access.handle, table, row, Object.keys(row));
  const docs = viaDocs(access);
  if (docs) {
    if (!access.handle.schema.tables.has(table)) await access.handle.ensureTable(table);
    await docs.port.edit(access.handle.id, recordId, docs.who, (doc) => {
      if (isComponentTable(table) && hasRow(doc, table, id)) {
        throw new HttpError(409, { code: "id_conflict", message: "A different resource already exists with this id." });
      }
      settleReferences(doc, references);
      if (isComponentTable(table)) writeRowCells(doc, table, row);
    });
    return { row: (await access.handle.get(table, id)) ?? row, created: true };
  }
  // No record documents (a tool, some tests): the references were resolved as Pixano does, above.
  settleReferences(null, references);
  const [added] = await access.handle.add(table, [row], { prevalidated: true, skipForeignKeys: true });
  if (!added) throw new Error(`add(${table}) returned no row`);
  return { row: added, created: true };
}

export async function updateRow(access: TableAccess, id: string, body: unknown): Promise<Row> {
  const shape = bodyShapeIssues(body);
  if (shape.length > 0) throw new RequestValidationError(shape);
  const fields = writableFields(access, body as Record<string, unknown>, { dropNull: true, dropId: true });
  const stored = await getRow(access, id);
  // Merged over the stored row and re-validated whole, by Pixano's rules (SPEC R-PIXANO).
  const patch = pixanoPatch(access.schema, stored, fields, body);
  const docs = viaDocs(access);
  const table = access.schema.table.name;
  if (!docs) {
    // No record documents (a tool, some tests): the merged row straight to the library, as leniently.
    if (
      typeof patch.record_id === "string" &&
      patch.record_id !== stored.record_id &&
      !(await access.handle.get("records", patch.record_id))
    )
      throw foreignRecord(patch.record_id);
    settleReferences(null, await pixanoReferences(access.handle, table, { ...stored, ...patch }, Object.keys(patch)));
    await access.handle.upsert(table, [{ ...stored, ...patch }], { lenientToStored: true });
    return getRow(access, id);
  }
  if (table === "records") {
    // Fields and status together, all or nothing: a refused status change writes no field (SPEC W8).
    const { status, ...fields } = patch;
    const comment = typeof fields.comment === "string" ? fields.comment : "";
    await docs.port.updateRecord(
      access.handle.id,
      id,
      docs.who,
      fields,
      typeof status === "string" ? status : undefined,
      comment,
    );
    return getRow(access, id);
  }
  if ("record_id" in patch && patch.record_id !== stored.record_id)
    throw new HttpError(400, "record_id cannot change: delete and create the row in the other record");
  const references = await pixanoReferences(access.handle, table, { ...stored, ...patch }, Object.keys(patch));
  await docs.port.edit(access.handle.id, String(stored.record_id), docs.who, (doc) => {
    settleReferences(doc, references);
    if (!isComponentTable(table) || !patchRow(doc, table, id, patch)) throw rowNotFound(id, table);
  });
  return getRow(access, id);
}

/**
 * Deletes a row and what hangs on it by the one cascade rule (SPEC D-CASCADE, `planDelete`): in
 * the record's document when rows live there (the persist worker then deletes exactly those rows),
 * else through the library, which plans the same delete over LanceDB.
 */
export async function deleteRow(access: TableAccess, id: string): Promise<void> {
  const stored = await getRow(access, id);
  const table = access.schema.table.name;
  const docs = viaDocs(access);
  if (!docs) {
    await access.handle.delete(table, [id]);
  } else if (table === "records") {
    await docs.port.deleteRecords(access.handle.id, [id], () => access.handle.delete("records", [id]));
  } else {
    await docs.port.edit(access.handle.id, String(stored.record_id), docs.who, (doc) => {
      if (isComponentTable(table)) deleteWithDependents(doc, table, [id]);
    });
  }
}

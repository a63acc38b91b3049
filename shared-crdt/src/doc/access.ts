import * as Y from "yjs";
import type { ComponentTable, RecordRow } from "../schema/tables.js";
import type { Row } from "../schema/rules.js";
import type { RowPatch, TableRow } from "../schema/rowTypes.js";
import type { Origin } from "./origins.js";
import { applyTextEdit, cellIn, cellOut } from "./collabText.js";
import { isComponentTable, recordMap, RECORD_COLUMNS_OUTSIDE_DOC, tableMap, type RowMap } from "./layout.js";

/** The record fields a document holds: any of the records table's columns but the timestamps. */
export type DocRecord = Partial<Omit<RecordRow, "created_at" | "updated_at">>;

/**
 * Typed reads and writes over a record document. Writes must run inside {@link transact} so every
 * change carries an {@link Origin}; the helpers below assume they are called inside one.
 */
export function transact<T>(doc: Y.Doc, origin: Origin, fn: () => T): T {
  let out: T | undefined;
  doc.transact(() => {
    out = fn();
  }, origin);
  return out as T;
}

/** Plain copy of a cell, so callers can never mutate document state by accident. */
function copy(v: unknown): unknown {
  return Array.isArray(v) ? [...(v as unknown[])] : v;
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** Sets an own property whatever its name (`out["__proto__"] = v` would change the prototype instead and hide the field from validation). */
function put(out: Row, k: string, v: unknown): void {
  Object.defineProperty(out, k, { value: copy(v), enumerable: true, writable: true, configurable: true });
}

/** The component table a row map is stored in (null for a map outside a document's layout). */
function tableOfRow(m: RowMap): ComponentTable | null {
  const parent = m.parent;
  if (!m.doc || !parent) return null;
  for (const [name, type] of m.doc.share) if (type === parent) return isComponentTable(name) ? name : null;
  return null;
}

/**
 * A stored row map as a row: collaborative text cells (SPEC D-TEXT) read as their strings. The
 * table is found from the map's place in the document when not given.
 */
export function rowOfMap(m: RowMap, table: ComponentTable | null = tableOfRow(m)): Row {
  const out: Row = {};
  for (const [k, v] of m.entries()) put(out, k, table === null ? v : cellOut(table, k, v));
  return out;
}

/**
 * A row's cells as stored, not yet trusted: what validation (D-VALID, D-REPAIR) reads. Everything
 * else reads through the typed {@link readRow} / {@link readRows}.
 */
export function readRowCells(doc: Y.Doc, table: ComponentTable, id: string): Row | undefined {
  const m = tableMap(doc, table).get(id);
  return m instanceof Y.Map ? rowOfMap(m, table) : undefined;
}

/**
 * The one place a document row becomes its table's row type: rows enter a document only through
 * validation (the mutators, the socket's D-VALID check and repair, loads from the dataset), so a
 * stored row has its table's columns.
 */
function typed<T extends ComponentTable>(_table: T, row: Row): TableRow<T> {
  return row as TableRow<T>;
}

export function readRow<T extends ComponentTable>(doc: Y.Doc, table: T, id: string): TableRow<T> | undefined {
  const row = readRowCells(doc, table, id);
  return row ? typed(table, row) : undefined;
}

/** All rows of a table, sorted by id (replicas may hold map keys in different orders). */
export function readRows<T extends ComponentTable>(doc: Y.Doc, table: T): TableRow<T>[] {
  const out: TableRow<T>[] = [];
  for (const m of tableMap(doc, table).values()) if (m instanceof Y.Map) out.push(typed(table, rowOfMap(m, table)));
  return out.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

/** The field names of a table's rows (its base columns). */
export type FieldOf<T extends ComponentTable> = keyof TableRow<T> & string;

/**
 * One cell of a stored row, read in place (no copy of the row): for hot paths that need a field or
 * two. The field name is checked against the table's columns at compile time.
 */
export function cellOfMap<T extends ComponentTable, K extends FieldOf<T>>(
  table: T,
  m: RowMap,
  field: K,
): TableRow<T>[K] | undefined {
  // Same trust as `typed` above: stored rows have their table's columns.
  return cellOut(table, field, m.get(field)) as TableRow<T>[K] | undefined;
}

/** {@link cellOfMap} by row id; undefined when the row does not exist. */
export function readCell<T extends ComponentTable, K extends FieldOf<T>>(
  doc: Y.Doc,
  table: T,
  id: string,
  field: K,
): TableRow<T>[K] | undefined {
  const m = tableMap(doc, table).get(id);
  return m instanceof Y.Map ? cellOfMap(table, m, field) : undefined;
}

/** One field of the record map (the timestamps live outside the document). */
export function readRecordCell<K extends keyof DocRecord & string>(doc: Y.Doc, field: K): DocRecord[K] {
  // The record map is checked against the records table where it changes (D-VALID).
  return recordMap(doc).get(field) as DocRecord[K];
}

export function rowIds(doc: Y.Doc, table: ComponentTable): string[] {
  return [...tableMap(doc, table).keys()].sort();
}

export function hasRow(doc: Y.Doc, table: ComponentTable, id: string): boolean {
  return tableMap(doc, table).has(id);
}

/**
 * Creates (or replaces) a row from cells of any shape (generic paths that move whole records). `row.id` is the key.
 * A string of a collaborative text column is stored as a `Y.Text` (SPEC D-TEXT).
 */
export function writeRowCells(doc: Y.Doc, table: ComponentTable, row: Readonly<Row>): void {
  const id = row.id;
  if (typeof id !== "string" || id === "") throw new TypeError(`${table}: a row needs a string id`);
  const m = new Y.Map<unknown>();
  for (const [k, v] of Object.entries(row)) m.set(k, cellIn(table, k, copy(v)));
  tableMap(doc, table).set(id, m);
}

/** Creates (or replaces) a row. `row.id` is the key. */
export function writeRow<T extends ComponentTable>(doc: Y.Doc, table: T, row: TableRow<T>): void {
  writeRowCells(doc, table, row);
}

/** {@link patchRow} from cells of any shape. */
export function patchRowCells(doc: Y.Doc, table: ComponentTable, id: string, patch: Readonly<Row>): boolean {
  const m = tableMap(doc, table).get(id);
  if (!(m instanceof Y.Map)) return false;
  for (const [k, v] of Object.entries(patch)) {
    if (k === "id") continue;
    const stored = m.get(k);
    const now = cellOut(table, k, stored);
    if (same(now, v)) continue;
    // D-TEXT: the smallest edit of the plain text already there, so a concurrent edit of another part survives.
    if (typeof v === "string" && typeof now === "string" && stored instanceof Y.Text) applyTextEdit(stored, v);
    else m.set(k, cellIn(table, k, copy(v)));
  }
  return true;
}

/**
 * Sets only the fields that differ, so unrelated concurrent edits of other fields merge; a
 * collaborative text cell changes by its smallest edit (SPEC D-TEXT).
 */
export function patchRow<T extends ComponentTable>(doc: Y.Doc, table: T, id: string, patch: RowPatch<T>): boolean {
  return patchRowCells(doc, table, id, patch);
}

export function removeRow(doc: Y.Doc, table: ComponentTable, id: string): boolean {
  const t = tableMap(doc, table);
  if (!t.has(id)) return false;
  t.delete(id);
  return true;
}

/** The record map's cells as stored (what D-VALID checks). */
export function readRecordCells(doc: Y.Doc): Row {
  const out: Row = {};
  for (const [k, v] of recordMap(doc).entries()) put(out, k, v);
  return out;
}

/** The record's fields held by the document (not the timestamps, which live outside it). */
export function readRecord(doc: Y.Doc): DocRecord {
  // The record map is checked against the records table where it changes (D-VALID); fields may be absent.
  return readRecordCells(doc) as DocRecord;
}

export function patchRecord(doc: Y.Doc, patch: Readonly<Row>): void {
  const m = recordMap(doc);
  for (const [k, v] of Object.entries(patch)) {
    if (RECORD_COLUMNS_OUTSIDE_DOC.has(k)) continue;
    if (!same(m.get(k), v)) m.set(k, copy(v));
  }
}

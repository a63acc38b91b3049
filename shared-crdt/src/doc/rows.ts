import type * as Y from "yjs";
import type { Row } from "../schema/rules.js";
import { COMPONENT_TABLES, type ComponentTable } from "../schema/tables.js";
import { patchRecord, patchRowCells, readRecord, readRows, removeRow, rowIds, writeRowCells } from "./access.js";
import { RECORD_COLUMNS_OUTSIDE_DOC } from "./layout.js";

/** A record's rows: the record row and its component rows per table. */
export interface RecordRows {
  record: Row;
  tables: Partial<Record<ComponentTable, Row[]>>;
}

/** Reads a whole document as rows (SPEC D-ROWS); rows sorted by id, empty tables omitted. */
export function rowsOfDoc(doc: Y.Doc): RecordRows {
  const tables: RecordRows["tables"] = {};
  for (const t of COMPONENT_TABLES) {
    const rows = readRows(doc, t);
    if (rows.length > 0) tables[t] = rows;
  }
  return { record: readRecord(doc), tables };
}

/**
 * Makes the document hold exactly these rows, touching only what differs (so loading rows that
 * changed behind our back merges as a small server transaction). Call inside a transaction.
 */
export function applyRowsToDoc(doc: Y.Doc, rows: RecordRows): void {
  const record: Row = {};
  for (const [k, v] of Object.entries(rows.record)) if (!RECORD_COLUMNS_OUTSIDE_DOC.has(k)) record[k] = v;
  patchRecord(doc, record);
  for (const t of COMPONENT_TABLES) {
    const wanted = new Map((rows.tables[t] ?? []).map((r) => [String(r.id), r]));
    for (const id of rowIds(doc, t)) if (!wanted.has(id)) removeRow(doc, t, id);
    for (const [id, row] of wanted) {
      if (!patchRowCells(doc, t, id, row)) writeRowCells(doc, t, row);
    }
  }
}

export interface TableDiff {
  upserts: Row[];
  deletes: string[];
}

function sameRow(a: Row, b: Row): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => {
    const x = a[k];
    const y = b[k];
    if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => v === y[i]);
    return x === y;
  });
}

/** What to write to go from `before` to `after` (the persist worker's plan): upserts and deletes per table. */
export function diffRecordRows(
  before: RecordRows,
  after: RecordRows,
): {
  recordChanged: boolean;
  tables: Partial<Record<ComponentTable, TableDiff>>;
} {
  const tables: Partial<Record<ComponentTable, TableDiff>> = {};
  for (const t of COMPONENT_TABLES) {
    const old = new Map((before.tables[t] ?? []).map((r) => [String(r.id), r]));
    const now = new Map((after.tables[t] ?? []).map((r) => [String(r.id), r]));
    const diff: TableDiff = { upserts: [], deletes: [] };
    for (const [id, row] of now) {
      const prev = old.get(id);
      if (!prev || !sameRow(prev, row)) diff.upserts.push(row);
    }
    for (const id of old.keys()) if (!now.has(id)) diff.deletes.push(id);
    if (diff.upserts.length > 0 || diff.deletes.length > 0) tables[t] = diff;
  }
  const strip = (r: Row) => Object.fromEntries(Object.entries(r).filter(([k]) => !RECORD_COLUMNS_OUTSIDE_DOC.has(k)));
  return { recordChanged: !sameRow(strip(before.record), strip(after.record)), tables };
}

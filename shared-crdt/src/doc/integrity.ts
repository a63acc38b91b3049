import * as Y from "yjs";
import type { DatasetSchema } from "../schema/datasetInfo.js";
import type { ValidationIssue } from "../schema/errors.js";
import type { Row } from "../schema/rules.js";
import { COMPONENT_TABLES, type ComponentTable } from "../schema/tables.js";
import { referencesOf } from "../schema/references.js";
import { validateRow } from "../schema/validate.js";
import { readRecordCells, readRowCells, readRows, rowOfMap } from "./access.js";
import { isComponentTable, RECORD_COLUMNS_OUTSIDE_DOC, tableMap } from "./layout.js";

/**
 * Checks one row of a document (SPEC D-VALID): the schema (types and table rules), that it belongs
 * to this record, and that every non-empty reference resolves inside the document, with per-frame
 * tracklet / dynamic-state references on the same entity (D-REF; the shared reference table).
 */
export function checkDocRow(
  doc: Y.Doc,
  schema: DatasetSchema,
  table: ComponentTable,
  row: Row,
  recordId: string,
): ValidationIssue[] {
  const at = `${table}[${String(row.id)}]`;
  const ts = schema.tables.get(table);
  if (!ts) return [{ path: at, message: `this dataset has no ${table} table` }];
  const r = validateRow(ts, row, { mode: "full", path: at });
  if (!r.ok) return r.issues;
  const issues: ValidationIssue[] = [];
  if (row.record_id !== recordId)
    issues.push({ path: `${at}.record_id`, message: `must be ${JSON.stringify(recordId)}` });
  for (const ref of referencesOf(table)) {
    if (ref.scope !== "record") continue;
    const values = ref.many ? ((row[ref.field] as string[] | undefined) ?? []) : [row[ref.field] as string];
    for (const v of values) {
      if (typeof v !== "string" || v === "") continue;
      const target = ref.target
        .map((t) => (isComponentTable(t) ? readRowCells(doc, t, v) : undefined))
        .find((x) => x !== undefined);
      if (!target) {
        issues.push({
          path: `${at}.${ref.field}`,
          code: "reference_missing",
          message: `refers to a missing row ${JSON.stringify(v)} in ${ref.target.join("|")}`,
          ctx: { value: v, targets: ref.target.join("|") },
        });
      } else if (ref.sameEntity && target.entity_id !== row.entity_id) {
        issues.push({
          path: `${at}.${ref.field}`,
          code: "reference_cross_entity",
          message: `belongs to entity ${JSON.stringify(target.entity_id)}, not ${JSON.stringify(row.entity_id)}`,
          ctx: { value: v, entity: String(target.entity_id) },
        });
      }
    }
  }
  if (table === "entities" && row.parent_id === row.id)
    issues.push({ path: `${at}.parent_id`, message: "an entity cannot be its own parent" });
  return issues;
}

/** Row ids that would alias object machinery in the JavaScript consumers of a row (SPEC D-KEY). */
const RESERVED_ROW_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Checks a row's key in its table map (SPEC D-KEY): not a reserved name, and equal to the row's
 * `id` field (the persist worker writes by `id`, clients address rows by key).
 */
export function checkRowKey(table: ComponentTable, key: string, row: Row): ValidationIssue[] {
  const at = `${table}[${key}]`;
  if (RESERVED_ROW_KEYS.has(key)) return [{ path: at, message: "is a reserved name, not a row id" }];
  if (row.id !== key) return [{ path: `${at}.id`, message: `must equal the row's key ${JSON.stringify(key)}` }];
  return [];
}

/** Checks the record map against the dataset's records table (without the timestamps). */
export function checkDocRecord(doc: Y.Doc, schema: DatasetSchema, recordId: string): ValidationIssue[] {
  const ts = schema.tables.get("records");
  if (!ts) return [];
  const rec = readRecordCells(doc);
  const r = validateRow(ts, { ...rec, id: recordId }, { mode: "create", path: "record" });
  const issues = r.ok ? [] : [...r.issues];
  for (const k of Object.keys(rec))
    if (RECORD_COLUMNS_OUTSIDE_DOC.has(k)) issues.push({ path: `record.${k}`, message: "is managed by the server" });
  if (rec.id !== undefined && rec.id !== recordId) issues.push({ path: "record.id", message: "cannot change" });
  return issues;
}

/** Every issue in a whole document: used by the fuzzer and after loads. */
export function checkDoc(doc: Y.Doc, schema: DatasetSchema, recordId: string): ValidationIssue[] {
  const issues = checkDocRecord(doc, schema, recordId);
  for (const table of COMPONENT_TABLES) {
    if (!schema.tables.has(table) && readRows(doc, table).length === 0) continue;
    for (const [key, m] of tableMap(doc, table).entries()) {
      if (!(m instanceof Y.Map)) {
        issues.push({ path: `${table}[${key}]`, message: "a row must be a map of fields" });
        continue;
      }
      const row = rowOfMap(m, table);
      issues.push(...checkRowKey(table, key, row), ...checkDocRow(doc, schema, table, row, recordId));
    }
  }
  return issues;
}

import * as Y from "yjs";
import type { DatasetSchema } from "../schema/datasetInfo.js";
import type { ValidationIssue } from "../schema/errors.js";
import type { Row } from "../schema/rules.js";
import type { ComponentTable } from "../schema/tables.js";
import { readRecordCells, readRowCells, transact } from "./access.js";
import { deleteWithDependents, removeDependents } from "./cascade.js";
import { cellIn } from "./collabText.js";
import type { DocChanges, RowChange } from "./changes.js";
import { checkDocRecord, checkDocRow, checkRowKey } from "./integrity.js";
import { introducedIssues } from "./issueDiff.js";
import { recordMap, tableMap } from "./layout.js";
import type { Origin } from "./origins.js";

export interface RepairPolicy {
  /** Clients may not write `status`: it changes through the workflow only (SPEC W6). */
  readonly statusWritable: boolean;
  /**
   * Rules that replace D-VALID's row rules and D-REF for the rows this edit wrote (SPEC R-PIXANO:
   * REST writes are held to Pixano 0.8's table models, their references having been resolved
   * table-wide by the REST layer). D-KEY and the row's record still apply; record fields and
   * D-CASCADE are repaired as for any edit.
   */
  readonly rowRules?: (table: ComponentTable, row: Row) => ValidationIssue[];
}

/** The value a field had before the transaction, as a plain object (`undefined` = absent). */
function withBefore(now: Row, before: ReadonlyMap<string, unknown>): Row {
  const out: Row = { ...now };
  for (const [field, value] of before) {
    if (value === undefined) delete out[field];
    else out[field] = value;
  }
  return out;
}

/**
 * Puts back the previous value of every field in `before` (a nested Yjs type cannot be re-inserted:
 * it goes); a collaborative text gets a new `Y.Text` of its previous string (SPEC D-TEXT).
 */
function restoreFields(table: ComponentTable, m: Y.Map<unknown>, before: ReadonlyMap<string, unknown>): void {
  for (const [field, value] of before) {
    if (value === undefined || value instanceof Y.AbstractType) m.delete(field);
    else m.set(field, cellIn(table, field, value));
  }
}

/**
 * Brings a document back to a valid state after a remote transaction (SPEC D-REPAIR), in one
 * transaction tagged `origin` (the server's). An edit is judged by what it changed: a row or the
 * record that already broke a rule before the edit (Pixano is more lenient than Tessera's write
 * rules, and its datasets load as they are) may keep doing so, but an edit may not add a problem.
 * - record fields: a `status` written by a client (W6), or fields whose change adds an issue, get
 *   their previous value back;
 * - a row that existed before the transaction is never deleted by repair: when its change adds an
 *   issue (or breaks D-KEY), every field it changed gets its previous value back;
 * - a row the transaction created that is invalid (D-VALID, D-REF, D-KEY) is deleted with its dependents;
 * - rows that depended on rows the transaction removed are removed or cleared (D-CASCADE).
 * Returns what was wrong, for the typed error sent to the author.
 */
export function repairDoc(
  doc: Y.Doc,
  schema: DatasetSchema,
  recordId: string,
  changes: DocChanges,
  origin: Origin,
  policy: RepairPolicy,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  transact(doc, origin, () => {
    const rec = recordMap(doc);
    const restoreRecord = (field: string) => {
      const before = changes.record.get(field);
      if (before === undefined || before instanceof Y.AbstractType) rec.delete(field);
      else rec.set(field, before);
    };
    if (!policy.statusWritable && changes.record.has("status")) {
      issues.push({ path: "record.status", message: "changes through the workflow only" });
      restoreRecord("status");
    }
    if (changes.record.size > 0) {
      const found = checkDocRecord(doc, schema, recordId);
      const added =
        found.length === 0 ? [] : introducedIssues(found, checkRecordBefore(doc, schema, recordId, changes.record));
      if (added.length > 0) {
        issues.push(...added);
        for (const field of changes.record.keys()) restoreRecord(field);
      }
    }

    const gone = new Map<ComponentTable, Set<string>>();
    for (const [table, rows] of changes.tables) {
      for (const [id, change] of rows) {
        if (change.kind === "removed") {
          let s = gone.get(table);
          if (!s) gone.set(table, (s = new Set()));
          s.add(id);
        }
      }
    }
    removeDependents(doc, gone);

    let restored = false;
    for (const [table, rows] of changes.tables) {
      for (const [id, change] of rows) {
        if (change.kind === "removed") continue;
        const r = repairRow(doc, schema, recordId, table, id, change, policy.rowRules);
        issues.push(...r.issues);
        restored ||= r.restored;
      }
    }
    // A restored reference may point again at a row this transaction removed (the edit re-pointed
    // it away concurrently): the delete wins, as for any row that depended on it (D-CASCADE).
    if (restored && gone.size > 0) removeDependents(doc, gone);
  });
  return issues;
}

function checkRecordBefore(
  doc: Y.Doc,
  schema: DatasetSchema,
  recordId: string,
  before: ReadonlyMap<string, unknown>,
): ValidationIssue[] {
  // checkDocRecord reads the live map: judge the previous values on a scratch copy of the fields.
  const scratch = new Y.Doc();
  try {
    const m = recordMap(scratch);
    for (const [k, v] of Object.entries(withBefore(readRecordCells(doc), before)))
      if (!(v instanceof Y.AbstractType)) m.set(k, v);
    return checkDocRecord(scratch, schema, recordId);
  } finally {
    scratch.destroy();
  }
}

/** Repairs one added or updated row: the issues the change introduced, and whether fields were put back. */
function repairRow(
  doc: Y.Doc,
  schema: DatasetSchema,
  recordId: string,
  table: ComponentTable,
  id: string,
  change: RowChange,
  rowRules: RepairPolicy["rowRules"],
): { issues: ValidationIssue[]; restored: boolean } {
  const m = tableMap(doc, table).get(id);
  if (!(m instanceof Y.Map)) {
    // Not a row map (a plain value under a row key): never valid.
    if (!tableMap(doc, table).has(id)) return { issues: [], restored: false };
    tableMap(doc, table).delete(id);
    return { issues: [{ path: `${table}[${id}]`, message: "a row must be a map of fields" }], restored: false };
  }
  const row = readRowCells(doc, table, id) ?? {};
  const rules = (r: Row): ValidationIssue[] => [
    ...checkRowKey(table, id, r),
    ...(rowRules
      ? [...ownRecord(table, r, recordId), ...rowRules(table, r)]
      : checkDocRow(doc, schema, table, r, recordId)),
  ];
  const found = rules(row);
  if (found.length === 0) return { issues: [], restored: false };
  if (change.kind !== "updated") {
    deleteWithDependents(doc, table, [id]);
    return { issues: found, restored: false };
  }
  const prior = withBefore(row, change.before);
  const added = introducedIssues(found, rules(prior));
  if (added.length === 0) return { issues: [], restored: false };
  restoreFields(table, m, change.before);
  return { issues: added, restored: true };
}

/** A row belongs to the document's record (the part of D-VALID R-PIXANO keeps). */
function ownRecord(table: ComponentTable, row: Row, recordId: string): ValidationIssue[] {
  return row.record_id === recordId
    ? []
    : [{ path: `${table}[${String(row.id)}].record_id`, message: `must be ${JSON.stringify(recordId)}` }];
}

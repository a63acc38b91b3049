import type * as Y from "yjs";
import type { DatasetSchema } from "../schema/datasetInfo.js";
import type { ValidationIssue } from "../schema/errors.js";
import type { ComponentTable } from "../schema/tables.js";
import { readRow, transact } from "./access.js";
import { deleteWithDependents, removeDependents } from "./cascade.js";
import type { DocChanges } from "./changes.js";
import { checkDocRecord, checkDocRow } from "./integrity.js";
import { recordMap, tableMap } from "./layout.js";
import type { Origin } from "./origins.js";

export interface RepairPolicy {
  /** Clients may not write `status`: it changes through the workflow only (SPEC W6). */
  readonly statusWritable: boolean;
}

/**
 * Brings a document back to a valid state after a remote transaction (SPEC D-REPAIR), in one
 * transaction tagged `origin` (the server's): record fields that break the schema, or a `status`
 * written by a client, get their previous value back; a changed row that is invalid gets its
 * previous field values back, or is deleted (with its dependents) when it is new or still
 * invalid; rows that depended on rows removed by the transaction are removed or cleared.
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
      if (before === undefined) rec.delete(field);
      else rec.set(field, before);
    };
    if (!policy.statusWritable && changes.record.has("status")) {
      issues.push({ path: "record.status", message: "changes through the workflow only" });
      restoreRecord("status");
    }
    const recordIssues = changes.record.size > 0 ? checkDocRecord(doc, schema, recordId) : [];
    if (recordIssues.length > 0) {
      issues.push(...recordIssues);
      for (const field of changes.record.keys()) restoreRecord(field);
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

    for (const [table, rows] of changes.tables) {
      for (const [id, change] of rows) {
        if (change.kind === "removed") continue;
        const row = readRow(doc, table, id);
        if (!row) continue;
        const found = checkDocRow(doc, schema, table, row, recordId);
        if (found.length === 0) continue;
        issues.push(...found);
        const m = tableMap(doc, table).get(id);
        if (change.kind === "updated" && change.before.size > 0 && m) {
          for (const [field, before] of change.before) {
            if (before === undefined) m.delete(field);
            else m.set(field, before);
          }
          const again = readRow(doc, table, id);
          if (again && checkDocRow(doc, schema, table, again, recordId).length === 0) continue;
        }
        deleteWithDependents(doc, table, [id]);
      }
    }
  });
  return issues;
}

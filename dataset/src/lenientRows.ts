import {
  introducedIssues,
  validateRow,
  type Row,
  type TableSchema,
  type ValidateOptions,
  type ValidationIssue,
} from "@tessera/shared-crdt";
import { checkPixanoRow } from "./io/pixanoRows.js";

/**
 * Pixano 0.8 accepts rows Tessera's write rules refuse (an `xyxy` box with x2 < x1, …), and its
 * datasets are served as they are. Editing such a row must not make it unwritable (SPEC D-REPAIR):
 * a row that fails validation may still be written when the stored row with its id fails with at
 * least the same issues — the write adds no problem.
 */
function onlyStoredIssues(
  schema: TableSchema,
  issues: readonly ValidationIssue[],
  stored: Row | undefined,
  options: ValidateOptions,
): boolean {
  if (!stored || issues.length === 0) return false;
  const r = validateRow(schema, stored, options);
  return !r.ok && introducedIssues(issues, r.issues).length === 0;
}

/**
 * Whether a row that fails Tessera's write rules may still be written: it keeps only issues its
 * stored version already has (D-REPAIR), or Pixano 0.8's table models accept it as it is — a row
 * created through Pixano's REST API (SPEC R-PIXANO) that Tessera's stricter rules refuse. The row
 * must pass unchanged: one Pixano would convert first (a string for a number) is not written.
 */
export function lenientAccepts(
  schema: TableSchema,
  row: Row,
  issues: readonly ValidationIssue[],
  stored: Row | undefined,
  options: ValidateOptions,
): boolean {
  if (onlyStoredIssues(schema, issues, stored, options)) return true;
  return pixanoIssuesAsIs(schema, row, options.ctx?.now ?? (() => new Date())).length === 0;
}

/**
 * What Pixano 0.8's table models find wrong with a row as it is (SPEC R-PIXANO): their issues, and
 * any field they would have converted (a string for a number): stored rows hold converted values.
 */
export function pixanoIssuesAsIs(
  schema: TableSchema,
  row: Row,
  now: () => Date,
): Array<{ field: string; message: string }> {
  const p = checkPixanoRow(schema, row, now);
  const out = [...p.typeIssues, ...p.modelIssues];
  if (out.length > 0) return out;
  for (const c of schema.columns) {
    if (c.name in row && !samePlain(row[c.name], p.row[c.name]))
      out.push({ field: c.name, message: "is not in its stored form (Pixano would convert it)" });
  }
  return out;
}

function samePlain(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => samePlain(x, b[i]));
  return a === b;
}

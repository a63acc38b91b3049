import { introducedIssues, validateRow, type Row, type TableSchema, type ValidateOptions, type ValidationIssue } from "@tessera/shared-crdt";

/**
 * Pixano 0.8 accepts rows Tessera's write rules refuse (an `xyxy` box with x2 < x1, …), and its
 * datasets are served as they are. Editing such a row must not make it unwritable (SPEC D-REPAIR):
 * a row that fails validation may still be written when the stored row with its id fails with at
 * least the same issues — the write adds no problem.
 */
export function onlyStoredIssues(schema: TableSchema, issues: readonly ValidationIssue[], stored: Row | undefined, options: ValidateOptions): boolean {
  if (!stored || issues.length === 0) return false;
  const r = validateRow(schema, stored, options);
  return !r.ok && introducedIssues(issues, r.issues).length === 0;
}

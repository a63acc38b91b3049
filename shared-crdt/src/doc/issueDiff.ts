import type { ValidationIssue } from "../schema/errors.js";

function issueKey(i: ValidationIssue): string {
  return `${i.path}\u0000${i.message}`;
}

/**
 * Issues of `after` that `before` did not have. An edit is judged by what it changed (SPEC
 * D-REPAIR): a row Pixano wrote may break Tessera's stricter rules and stay so, an edit may not add
 * a problem.
 */
export function introducedIssues(
  after: readonly ValidationIssue[],
  before: readonly ValidationIssue[],
): ValidationIssue[] {
  if (after.length === 0) return [];
  const had = new Set(before.map(issueKey));
  return after.filter((i) => !had.has(issueKey(i)));
}

import type { Role } from "@tessera/shared-crdt";
import type { AssignLock, Assignment, PersonProgress } from "@tessera/shared-crdt/api";

/**
 * Pure rules of the assignment screens (SPEC AS): how many records each person gets (the server's split, shown
 * before it is asked), the progress table's percentage, why a record is read-only for me, and the "next for me"
 * key.
 */

/** Shares of `count` records among `people` as the server's `split_evenly` / `round_robin` give them (AS3). */
export function previewShares(count: number, people: number): number[] {
  if (people <= 0) return [];
  const base = Math.floor(count / people);
  const extra = count % people;
  return Array.from({ length: people }, (_, i) => base + (i < extra ? 1 : 0));
}

/** Whole percent of a person's assignments that are done (0 when they have none). */
export function donePercent(p: Pick<PersonProgress, "assigned" | "done">): number {
  return p.assigned === 0 ? 0 : Math.round((100 * p.done) / p.assigned);
}

/**
 * Why the lock keeps me off this record (AS6), in people's terms; null when the assignment is not the reason
 * (unlocked, I am the assignee or a reviewer/admin, or the record has no annotator).
 */
export function lockReason(
  lock: Pick<AssignLock, "locked"> | null,
  assignment: Pick<Assignment, "annotator"> | null,
  me: { readonly id: string; readonly role: Role },
): string | null {
  if (!lock?.locked || me.role === "reviewer" || me.role === "admin") return null;
  const annotator = assignment?.annotator ?? null;
  if (annotator === null || annotator.id === me.id) return null;
  return `assignment is locked: this record is assigned to ${annotator.name}`;
}

/** "Next for me" is Shift+N, outside text fields, without Ctrl/Alt/Meta. */
export function isNextForMeKey(e: {
  readonly key: string;
  readonly shiftKey: boolean;
  readonly ctrlKey: boolean;
  readonly altKey: boolean;
  readonly metaKey: boolean;
}): boolean {
  return e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && e.key.toLowerCase() === "n";
}

/** The label of an assignment in the explorer's "Assigned to" column. */
export function assignedLabel(a: Pick<Assignment, "annotator" | "reviewer"> | null): string {
  if (!a) return "";
  const parts: string[] = [];
  if (a.annotator) parts.push(a.annotator.name);
  if (a.reviewer) parts.push(`review: ${a.reviewer.name}`);
  return parts.join(" · ");
}

import type { RECORD_STATUSES } from "../schema/rules.js";

/**
 * The record workflow (ARCHITECTURE §5, SPEC W-…): one state machine, enforced on the server and
 * used by the client to show only the actions a person may take.
 *
 *   new ──edit──▶ inProgress ──submit──▶ inReview ──approve──▶ validated
 *                      ▲                     │                     │
 *                      └──────reject(comment)┘◀──────reopen────────┘
 */
export type RecordStatus = (typeof RECORD_STATUSES)[number];
export type Role = "admin" | "reviewer" | "annotator" | "viewer";
export type WorkflowAction = "edit" | "submit" | "approve" | "reject" | "reopen";

interface Transition {
  readonly from: readonly RecordStatus[];
  readonly to: RecordStatus;
  readonly roles: readonly Role[];
  readonly needsComment: boolean;
}

const TRANSITIONS: Readonly<Record<WorkflowAction, Transition>> = {
  // W1: the first edit of a new record starts it.
  edit: { from: ["new"], to: "inProgress", roles: ["admin", "reviewer", "annotator"], needsComment: false },
  // W2: whoever annotates submits for review.
  submit: { from: ["new", "inProgress"], to: "inReview", roles: ["admin", "reviewer", "annotator"], needsComment: false },
  // W3: only reviewers (and admins) approve or reject; a rejection carries a comment.
  approve: { from: ["inReview"], to: "validated", roles: ["admin", "reviewer"], needsComment: false },
  reject: { from: ["inReview"], to: "inProgress", roles: ["admin", "reviewer"], needsComment: true },
  // W4: a validated record is reopened by a reviewer, never silently edited by an annotator.
  reopen: { from: ["validated"], to: "inProgress", roles: ["admin", "reviewer"], needsComment: false },
};

export type WorkflowRefusal = "wrong_status" | "forbidden" | "comment_required";

export type WorkflowResult =
  | { ok: true; from: RecordStatus; to: RecordStatus }
  | { ok: false; reason: WorkflowRefusal; message: string };

export function isRecordStatus(v: unknown): v is RecordStatus {
  return v === "new" || v === "inProgress" || v === "inReview" || v === "validated";
}

/** Decides a transition; pure, so the client shows the same answer the server enforces. */
export function transition(status: RecordStatus, action: WorkflowAction, role: Role, comment = ""): WorkflowResult {
  const t = TRANSITIONS[action];
  if (!t.roles.includes(role)) return { ok: false, reason: "forbidden", message: `a ${role} may not ${action} a record` };
  if (!t.from.includes(status)) return { ok: false, reason: "wrong_status", message: `cannot ${action} a record that is ${status}` };
  if (t.needsComment && comment.trim() === "") return { ok: false, reason: "comment_required", message: `${action} needs a comment` };
  return { ok: true, from: status, to: t.to };
}

/** The actions a role may take on a record in this status (for buttons and menus). */
export function availableActions(status: RecordStatus, role: Role): WorkflowAction[] {
  return (Object.keys(TRANSITIONS) as WorkflowAction[]).filter((a) => a !== "edit" && transition(status, a, role, "x").ok);
}

/** W5: viewers never edit; annotators edit anything not validated; reviewers and admins edit everything. */
export function canEditRecord(status: RecordStatus, role: Role): boolean {
  if (role === "viewer") return false;
  if (role === "annotator") return status !== "validated";
  return true;
}

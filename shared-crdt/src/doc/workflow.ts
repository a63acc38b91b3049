import { RECORD_STATUSES } from "../schema/rules.js";

/**
 * The record workflow (docs/ARCHITECTURE.md §5, SPEC W1–W9): one state machine, enforced on the server and
 * used by the client to show only the actions a person may take.
 *
 *   new ──edit──▶ inProgress ──submit──▶ inReview ──approve──▶ validated
 *                      ▲                     │                     │
 *                      ├──────reject(comment)┘◀──────reopen────────┘
 *                      └──────reopen─── other (any other stored value, e.g. Pixano's `archived`)
 *
 * Pixano's `status` is a free string: values outside the four are kept as they are and put the
 * record in the `other` state (W7). Reviewers and admins may also set any status directly (`set`,
 * W8 — Pixano's status dropdown); annotators only take the transitions.
 */
export type RecordStatus = (typeof RECORD_STATUSES)[number];
/** Where a stored status puts a record: one of the four workflow statuses, or `other`. */
export type WorkflowState = RecordStatus | "other";
export type Role = "admin" | "reviewer" | "annotator" | "viewer";
/** The named transitions of the state machine. */
export type NamedAction = "edit" | "submit" | "approve" | "reject" | "reopen";
/** Every status change: a named transition, or `set` — a direct change by a reviewer or admin. */
export type WorkflowAction = NamedAction | "set";

interface Transition {
  readonly from: readonly WorkflowState[];
  readonly to: RecordStatus;
  readonly roles: readonly Role[];
  readonly needsComment: boolean;
}

const TRANSITIONS: Readonly<Record<NamedAction, Transition>> = {
  // W1: the first edit of a new record starts it.
  edit: { from: ["new"], to: "inProgress", roles: ["admin", "reviewer", "annotator"], needsComment: false },
  // W2: whoever annotates submits for review.
  submit: {
    from: ["new", "inProgress"],
    to: "inReview",
    roles: ["admin", "reviewer", "annotator"],
    needsComment: false,
  },
  // W3: only reviewers (and admins) approve or reject; a rejection carries a comment.
  approve: { from: ["inReview"], to: "validated", roles: ["admin", "reviewer"], needsComment: false },
  reject: { from: ["inReview"], to: "inProgress", roles: ["admin", "reviewer"], needsComment: true },
  // W4 / W7: a validated (or `other`) record is reopened by a reviewer, never silently edited into the workflow.
  reopen: { from: ["validated", "other"], to: "inProgress", roles: ["admin", "reviewer"], needsComment: false },
};

/** The named actions, in the order menus show them; what the REST route and the live channel accept. */
export const WORKFLOW_ACTIONS: readonly NamedAction[] = Object.keys(TRANSITIONS) as NamedAction[];

/** W8: who may set any status directly. */
const SETTERS: readonly Role[] = ["admin", "reviewer"];

export type WorkflowRefusal = "wrong_status" | "forbidden" | "comment_required";

export type WorkflowResult =
  | { ok: true; action: WorkflowAction; from: string; to: string }
  | { ok: false; reason: WorkflowRefusal; message: string };

/** One of the four workflow statuses. */
export function isRecordStatus(v: unknown): v is RecordStatus {
  return (RECORD_STATUSES as readonly unknown[]).includes(v);
}

export function isNamedAction(v: unknown): v is NamedAction {
  return (WORKFLOW_ACTIONS as readonly unknown[]).includes(v);
}

/** The state a stored status puts a record in; a record without a status is `new` (Pixano's default). */
export function workflowState(status: unknown): WorkflowState {
  if (status === undefined || status === null) return "new";
  return isRecordStatus(status) ? status : "other";
}

/** Decides a named transition from a stored status; pure, so the client shows the same answer the server enforces. */
export function transition(status: string, action: NamedAction, role: Role, comment = ""): WorkflowResult {
  const t = TRANSITIONS[action];
  if (!t.roles.includes(role))
    return { ok: false, reason: "forbidden", message: `a ${role} may not ${action} a record` };
  if (!t.from.includes(workflowState(status)))
    return { ok: false, reason: "wrong_status", message: `cannot ${action} a record that is ${status}` };
  if (t.needsComment && comment.trim() === "")
    return { ok: false, reason: "comment_required", message: `${action} needs a comment` };
  return { ok: true, action, from: status, to: t.to };
}

/** The named transition taking a record from one status to another, if the state machine has one. */
export function actionBetween(from: string, to: string): NamedAction | null {
  const state = workflowState(from);
  return WORKFLOW_ACTIONS.find((a) => TRANSITIONS[a].to === to && TRANSITIONS[a].from.includes(state)) ?? null;
}

/**
 * A direct status change (`PUT /records/{id} {"status"}`, Pixano's dropdown), `from !== to`: the
 * named transition when there is one and this role may take it; otherwise, for reviewers and
 * admins, `set` (W8: any value, from any state, no comment needed); otherwise the refusal.
 */
export function setStatus(from: string, to: string, role: Role, comment = ""): WorkflowResult {
  const named = actionBetween(from, to);
  const r = named ? transition(from, named, role, comment) : null;
  if (r?.ok) return r;
  if (SETTERS.includes(role)) return { ok: true, action: "set", from, to };
  if (r) return r;
  return {
    ok: false,
    reason: "forbidden",
    message: `a ${role} may not move a record from ${from} to ${to}: only reviewers and admins set a status outside the workflow`,
  };
}

/** The named actions a role may take on a record with this stored status (for buttons and menus). */
export function availableActions(status: string, role: Role): NamedAction[] {
  return WORKFLOW_ACTIONS.filter((a) => a !== "edit" && transition(status, a, role, "x").ok);
}

/**
 * W5: viewers never edit; annotators edit anything not validated (an `other` record included);
 * reviewers and admins edit everything. An edit leaves an `other` status as it is (W1 starts only `new`).
 */
export function canEditRecord(status: string, role: Role): boolean {
  if (role === "viewer") return false;
  if (role === "annotator") return workflowState(status) !== "validated";
  return true;
}

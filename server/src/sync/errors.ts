import type { ValidationIssue, WorkflowRefusal } from "@tessera/shared-crdt";

/**
 * Typed errors of the sync layer. REST handlers map them to statuses (`status` below); the
 * websocket side maps protocol problems to close codes in `RecordRoom`.
 */
export type RoomErrorReason =
  /** The dataset or record does not exist. */
  | "not_found"
  /** The endpoint is shutting down. */
  | "closing"
  /** Loading the record document failed. */
  | "load_failed"
  /** Scaled mode: another live process owns the record (holds its lease). */
  | "elsewhere";

export class RoomError extends Error {
  override name = "RoomError";
  constructor(
    readonly reason: RoomErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return this.reason === "not_found" ? 404 : 503;
  }
}

/**
 * A server-side write (`RoomManager.withRecord`) that would leave the document invalid. Nothing
 * was applied: REST answers 422 with the issues.
 */
export class RoomEditError extends Error {
  override name = "RoomEditError";
  readonly status = 422;
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join("; "));
  }
}

/** A workflow action refused by the state machine (wrong status, role, or missing comment). */
export class WorkflowError extends Error {
  override name = "WorkflowError";
  constructor(
    readonly reason: WorkflowRefusal,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return this.reason === "forbidden" ? 403 : this.reason === "comment_required" ? 422 : 409;
  }
}

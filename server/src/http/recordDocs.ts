import type * as Y from "yjs";
import type { Request } from "express";
import type { NamedAction, Role, Row, ValidationIssue } from "@tessera/shared-crdt";
import { LOCAL_IDENTITY, principalIdentity, requestAuth } from "../auth/principal.js";
import { toFieldIssues } from "./bodyIssues.js";
import { HttpError, type ErrorMapper } from "./errors.js";
import type { ReviewPin } from "@tessera/shared-crdt/api";

/**
 * REST writes to annotations and record fields go through the record document (docs/ARCHITECTURE.md §3 "Durability" 4),
 * so a REST client and live editors never overwrite each other. The sync layer's RoomManager
 * implements this port; without it (a read-only tool, some tests) writes go to the library.
 */
export interface RecordDocsPort {
  /**
   * Runs `fn` on the record's document as one REST-origin transaction; resolves once durable and
   * folded into the rows — or, with `{fold: false}` (a model writing proposal after proposal, whose
   * caller reads no rows back), once durable: the room's flush schedule folds it as it does edits.
   */
  edit(
    datasetId: string,
    recordId: string,
    who: RestIdentity,
    fn: (doc: Y.Doc) => void,
    options?: { readonly fold?: boolean },
  ): Promise<void>;
  /**
   * Several records' writes (a model's proposals over a batch): their documents load together,
   * each record is written in its own REST-origin transaction, in order (see {@link EditManyOptions}).
   * Resolves with the number written once they are durable (and folded, with `fold: true`;
   * default false: the rooms' flush schedule folds them).
   */
  editMany(
    datasetId: string,
    who: RestIdentity,
    writes: ReadonlyArray<{ readonly recordId: string; readonly fn: (doc: Y.Doc) => void }>,
    options?: EditManyOptions,
  ): Promise<number>;
  /** Folds what the records' documents hold into the rows now (after `editMany` writes without `fold`). */
  fold(datasetId: string, recordIds: ReadonlySet<string>): Promise<void>;
  /** A named workflow transition, applied and folded into the rows. */
  workflow(
    datasetId: string,
    recordId: string,
    action: NamedAction,
    who: RestIdentity,
    comment: string,
    /** Where a rejection's review thread points (SPEC RV5). */
    pin?: ReviewPin | null,
  ): Promise<{ from: string; to: string }>;
  /**
   * `PUT /records/{id}`: record fields (W5 decides who may edit) and a direct status change to
   * `status` (W8; `undefined` or the current status: none) — checked together, then applied
   * together or not at all; folded into the rows before it resolves.
   */
  updateRecord(
    datasetId: string,
    recordId: string,
    who: RestIdentity,
    fields: Row,
    status: string | undefined,
    comment: string,
  ): Promise<void>;
  /** Deletes records: open rooms close first so nothing writes them back. */
  deleteRecords<T>(datasetId: string, recordIds: readonly string[], deleteRows: () => Promise<T>): Promise<T>;
}

interface EditManyOptions {
  readonly fold?: boolean;
  /** Awaited before each record's write, once its document is loaded; false: write no more. */
  readonly beforeEach?: (recordId: string) => Promise<boolean>;
  /** Told each record's write once it is in the document, with the milliseconds it held the thread. */
  readonly afterEach?: (recordId: string, ms: number) => void;
}

/** Who made a REST request. Accounts plug in at {@link restIdentity}. */
export interface RestIdentity {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
}

/**
 * Who made a REST request: the authenticated account with its role on the route's dataset (as
 * the permission guard resolved it), or — in the single-user mode, and for apps built without
 * authentication — the local operator, who may do anything (Pixano's model).
 */
export function restIdentity(req: Request): RestIdentity {
  const a = requestAuth(req);
  if (!a) return LOCAL_IDENTITY;
  const who = principalIdentity(a.principal, a.datasetId);
  // Fail closed: the guard keeps strangers away from writes; should one slip through, it is nobody.
  if (!who) throw new HttpError(401, "Authentication required.");
  return { ...who, role: a.role ?? who.role };
}

/** The `docs` part of a table access for this request (empty when the app has no record documents). */
export function docsFor(
  port: RecordDocsPort | undefined,
  req: Request,
): { docs?: { port: RecordDocsPort; who: RestIdentity } } {
  return port ? { docs: { port, who: restIdentity(req) } } : {};
}

/**
 * HTTP answers for the sync layer's typed errors (matched by name so the HTTP layer does not
 * depend on the sync modules): an edit that would break the document → 422 with located issues,
 * or 400 "Foreign key violation" when only references are wrong (Pixano's answer); a refused
 * workflow action → 403/409/422; a record that does not exist → 404; shutting down → 503.
 */
/** `bboxes[b1].entity_id` + `refers to a missing row "x" in entities` → `entity_id='x' not found in 'entities'` (Pixano's wording). */
function foreignKeyMessage(issue: ValidationIssue): string {
  const field = issue.path.split(".").pop() ?? issue.path;
  const value = issue.ctx?.value;
  const targets = issue.ctx?.targets;
  return issue.code === "reference_missing" && value !== undefined && targets !== undefined
    ? `${field}='${String(value)}' not found in '${String(targets)}'.`
    : `${field} ${issue.message}`;
}

export const mapRecordDocError: ErrorMapper = (err) => {
  if (!(err instanceof Error)) return null;
  if (err.name === "RoomEditError") {
    const issues = (err as Error & { issues: readonly ValidationIssue[] }).issues;
    const references = issues.every((i) => i.code === "reference_missing" || i.code === "reference_cross_entity");
    if (references && issues.some((i) => i.code === "reference_cross_entity")) {
      return {
        status: 400,
        detail: `Cross-entity check failed: ${issues.map((i) => `${i.path.split(".").pop() ?? i.path} ${i.message}`).join("; ")}`,
      };
    }
    if (references)
      return { status: 400, detail: `Foreign key violation: ${issues.map(foreignKeyMessage).join("; ")}` };
    return { status: 422, detail: toFieldIssues(issues, undefined) };
  }
  if (err.name === "WorkflowError") return { status: (err as Error & { status: number }).status, detail: err.message };
  if (err.name === "RoomError") {
    const reason = (err as Error & { reason: string }).reason;
    return { status: reason === "not_found" ? 404 : 503, detail: err.message };
  }
  return null;
};

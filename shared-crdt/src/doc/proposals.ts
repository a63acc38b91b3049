import * as Y from "yjs";
import { REVIEW_STATUSES, type Row } from "../schema/rules.js";
import { COMPONENT_TABLES, type ComponentTable } from "../schema/tables.js";
import { patchRowCells, readRowCells, rowOfMap, transact } from "./access.js";
import { tableMap } from "./layout.js";
import type { Origin } from "./origins.js";

/**
 * Review of model proposals (SPEC D-PROPOSAL): annotations a model wrote (`source_type: "model"`,
 * or Pixano's UI pre-annotations, `source_name: "Pre-annotation"`) carry a review status —
 * Pixano's `review_status` values — that people set by accepting, correcting (any edit of the
 * geometry or label) or rejecting them. The status is written in the row's `review_status` column
 * when the dataset has it (a newer Pixano layout), else under the `review_status` key of the row's
 * `source_metadata` JSON object, a column every Pixano 0.8 table has: no column is ever added.
 */
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
export type ProposalDecision = "accepted" | "corrected" | "rejected";

export const REVIEW_STATUS_FIELD = "review_status";
/** Pixano's UI marks the boxes its pre-annotation step wrote with this `source_name`. */
export const PIXANO_PRE_ANNOTATION = "Pre-annotation";

/** Tables whose rows have provenance (`source_type`): every component table but entities and their states. */
export const PROPOSAL_TABLES: readonly ComponentTable[] = COMPONENT_TABLES.filter(
  (t) => t !== "entities" && t !== "entity_dynamic_states",
);

/** Fields whose change is not a correction of the proposal: provenance, review, and links the tracklet tools move. */
const NOT_A_CORRECTION: ReadonlySet<string> = new Set([
  "id",
  "record_id",
  "source_type",
  "source_name",
  "source_metadata",
  REVIEW_STATUS_FIELD,
  "tracklet_id",
  "entity_dynamic_state_id",
]);

export class ProposalError extends Error {
  override name = "ProposalError";
  constructor(
    readonly reason: "missing_row" | "not_a_proposal" | "bad_metadata" | "bad_status" | "bad_threshold",
    message: string,
  ) {
    super(message);
  }
}

export function isProposal(row: Readonly<Row>): boolean {
  return row.source_type === "model" || row.source_name === PIXANO_PRE_ANNOTATION;
}

function isReviewStatus(v: unknown): v is ReviewStatus {
  return typeof v === "string" && (REVIEW_STATUSES as readonly string[]).includes(v);
}

/** The `source_metadata` JSON object of a row, or null when it is not one. */
function metadataOf(row: Readonly<Row>): Record<string, unknown> | null {
  const raw = row.source_metadata;
  if (raw === undefined || raw === "") return {};
  if (typeof raw !== "string") return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch (err) {
    if (err instanceof SyntaxError) return null;
    throw err;
  }
}

/** Whether the row stores its review status in Pixano's `review_status` column (the dataset has it). */
export function hasReviewColumn(row: Readonly<Row>): boolean {
  return REVIEW_STATUS_FIELD in row;
}

/**
 * The stored review status of a row: the column when it has one, else `source_metadata.review_status`;
 * `""` when none is stored (or the stored value is not one of Pixano's).
 */
export function storedReviewStatus(row: Readonly<Row>): ReviewStatus {
  const v = hasReviewColumn(row) ? row[REVIEW_STATUS_FIELD] : metadataOf(row)?.[REVIEW_STATUS_FIELD];
  return isReviewStatus(v) ? v : "";
}

/** The review status as people see it: a proposal nobody reviewed yet is `pending`; human work is `""`. */
export function reviewStatusOf(row: Readonly<Row>): ReviewStatus {
  const s = storedReviewStatus(row);
  return s === "" && isProposal(row) ? "pending" : s;
}

/**
 * A proposal's score in [0, 1], or null when it has none: a box's `confidence` (−1 = not
 * predicted), a classification's highest `confidences` entry, else a number stored as
 * `confidence` or `score` in `source_metadata`.
 */
export function proposalScore(row: Readonly<Row>): number | null {
  const inUnit = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1;
  if (inUnit(row.confidence)) return row.confidence;
  if (Array.isArray(row.confidences)) {
    const scores = (row.confidences as unknown[]).filter(inUnit);
    if (scores.length > 0) return Math.max(...scores);
  }
  const meta = metadataOf(row);
  if (meta) {
    if (inUnit(meta.confidence)) return meta.confidence;
    if (inUnit(meta.score)) return meta.score;
  }
  return null;
}

/** Whether a proposal is hidden by a score threshold: only a scored proposal below it is. */
export function belowThreshold(row: Readonly<Row>, threshold: number): boolean {
  if (!isProposal(row)) return false;
  const score = proposalScore(row);
  return score !== null && score < threshold;
}

/** The cells to write so the row's review status becomes `status` (empty when it already is). */
export function reviewStatusPatch(row: Readonly<Row>, status: ReviewStatus): Row {
  if (!isReviewStatus(status))
    throw new ProposalError("bad_status", `review status must be one of ${REVIEW_STATUSES.join(", ")}`);
  if (storedReviewStatus(row) === status && (hasReviewColumn(row) || status !== "")) return {};
  if (hasReviewColumn(row)) return { [REVIEW_STATUS_FIELD]: status };
  const meta = metadataOf(row);
  if (meta === null) {
    throw new ProposalError("bad_metadata", `row ${String(row.id)}: source_metadata is not a JSON object`);
  }
  const next: Record<string, unknown> = { ...meta };
  if (status === "") delete next[REVIEW_STATUS_FIELD];
  else next[REVIEW_STATUS_FIELD] = status;
  return { source_metadata: JSON.stringify(next) };
}

function sameCell(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/**
 * What an edit of a proposal adds to make it `corrected` (SPEC D-PROPOSAL): when `patch` changes a
 * field other than provenance and review bookkeeping, the review status cells; else nothing.
 * Called by the mutators, so the correction is part of the edit's transaction and undo step.
 */
export function correctionPatch(stored: Readonly<Row>, patch: Readonly<Row>): Row {
  if (!isProposal(stored) || storedReviewStatus(stored) === "corrected") return {};
  if (REVIEW_STATUS_FIELD in patch || "source_metadata" in patch) return {};
  const edits = Object.entries(patch).some(([k, v]) => !NOT_A_CORRECTION.has(k) && !sameCell(stored[k], v));
  if (!edits) return {};
  const meta = metadataOf(stored);
  return meta === null && !hasReviewColumn(stored) ? {} : reviewStatusPatch(stored, "corrected");
}

/** Marks every proposal of an entity `corrected` (its label changed); call inside the relabel's transaction. */
export function correctEntityProposals(doc: Y.Doc, entityId: string): void {
  for (const table of PROPOSAL_TABLES) {
    for (const [id, m] of tableMap(doc, table)) {
      if (!(m instanceof Y.Map) || m.get("entity_id") !== entityId) continue;
      const row = rowOfMap(m, table);
      if (!isProposal(row) || storedReviewStatus(row) === "corrected") continue;
      if (!hasReviewColumn(row) && metadataOf(row) === null) continue;
      patchRowCells(doc, table, id, reviewStatusPatch(row, "corrected"));
    }
  }
}

/** Sets a proposal's review status: one transaction, one undo step. */
export function setReviewStatus(
  doc: Y.Doc,
  origin: Origin,
  table: ComponentTable,
  id: string,
  status: ProposalDecision | "pending",
): void {
  const row = readRowCells(doc, table, id);
  if (!row) throw new ProposalError("missing_row", `${table}[${id}] does not exist`);
  if (!isProposal(row)) throw new ProposalError("not_a_proposal", `${table}[${id}] was not written by a model`);
  const patch = reviewStatusPatch(row, status);
  if (Object.keys(patch).length > 0) transact(doc, origin, () => patchRowCells(doc, table, id, patch));
}

export const acceptProposal = (doc: Y.Doc, origin: Origin, table: ComponentTable, id: string): void =>
  setReviewStatus(doc, origin, table, id, "accepted");

export const rejectProposal = (doc: Y.Doc, origin: Origin, table: ComponentTable, id: string): void =>
  setReviewStatus(doc, origin, table, id, "rejected");

export interface ProposalRef {
  readonly table: ComponentTable;
  readonly id: string;
  readonly row: Row;
}

/** The record's proposals, by table then id (the same order on every replica). */
export function proposalsOf(doc: Y.Doc): ProposalRef[] {
  const out: ProposalRef[] = [];
  for (const table of PROPOSAL_TABLES) {
    const rows: ProposalRef[] = [];
    for (const [id, m] of tableMap(doc, table)) {
      if (!(m instanceof Y.Map)) continue;
      const row = rowOfMap(m, table);
      if (isProposal(row)) rows.push({ table, id, row });
    }
    out.push(...rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  }
  return out;
}

/**
 * Accepts every `pending` proposal whose score is at least `threshold` (optionally only those
 * `include` keeps), in one transaction (one undo step). Unscored proposals are left pending.
 * Returns how many it accepted.
 */
export function bulkAccept(
  doc: Y.Doc,
  origin: Origin,
  threshold: number,
  include: (p: ProposalRef) => boolean = () => true,
): number {
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw new ProposalError("bad_threshold", "the threshold is a number in [0, 1]");
  }
  const chosen = proposalsOf(doc).filter((p) => {
    const score = proposalScore(p.row);
    return reviewStatusOf(p.row) === "pending" && score !== null && score >= threshold && include(p);
  });
  const patches = chosen.map((p) => {
    try {
      return { p, patch: reviewStatusPatch(p.row, "accepted") };
    } catch (err) {
      if (err instanceof ProposalError && err.reason === "bad_metadata") return null;
      throw err;
    }
  });
  const writes = patches.filter((x): x is { p: ProposalRef; patch: Row } => x !== null);
  if (writes.length === 0) return 0;
  transact(doc, origin, () => {
    for (const { p, patch } of writes) patchRowCells(doc, p.table, p.id, patch);
  });
  return writes.length;
}

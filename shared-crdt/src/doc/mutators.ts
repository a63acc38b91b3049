import * as Y from "yjs";
import { ANNOTATION_KINDS } from "../kinds/index.js";
import type { DatasetSchema } from "../schema/datasetInfo.js";
import { ValidationError } from "../schema/errors.js";
import { int64Number } from "../schema/int64.js";
import { parseRow, withCustom, type NewRow, type RowPatch, type TableRow } from "../schema/rowTypes.js";
import type { ComponentTable } from "../schema/tables.js";
import { validateRow } from "../schema/validate.js";
import {
  cellOfMap,
  patchRecord,
  patchRow,
  patchRowCells,
  readRow,
  readRowCells,
  readRows,
  transact,
  writeRow,
  type DocRecord,
} from "./access.js";
import { deleteWithDependents, type Removed } from "./cascade.js";
import { tableMap } from "./layout.js";
import type { IdGenerator } from "./ids.js";
import { introducedIssues } from "./issueDiff.js";
import type { Origin } from "./origins.js";
import { correctEntityProposals, correctionPatch } from "./proposals.js";

/**
 * Domain edits of a record document (SPEC D-OPS). Each runs in one transaction tagged with the
 * caller's origin (nested calls join the outer transaction, so a compound edit undoes as one),
 * validates every row it writes, and throws a {@link ValidationError} or {@link DocEditError}
 * before touching the document when the edit is invalid.
 */
export interface DocContext {
  readonly doc: Y.Doc;
  readonly schema: DatasetSchema;
  readonly recordId: string;
  readonly newId: IdGenerator;
}

export class DocEditError extends Error {
  override name = "DocEditError";
  constructor(
    readonly reason: "missing_row" | "not_adjacent" | "out_of_range" | "wrong_kind" | "no_table",
    message: string,
  ) {
    super(message);
  }
}

/** A create's fields: any of the table's columns (custom columns through `withCustom`). */
export type AnnotationInput = { [T in ComponentTable]: { readonly table: T; readonly row: NewRow<T> } }[ComponentTable];

function build<T extends ComponentTable>(ctx: DocContext, table: T, partial: NewRow<T>): TableRow<T> {
  const ts = ctx.schema.tables.get(table);
  if (!ts) throw new DocEditError("no_table", `this dataset has no ${table} table`);
  const r = parseRow(
    table,
    ts,
    { ...partial, record_id: ctx.recordId },
    { mode: "create", path: `${table}[${String(partial.id)}]` },
  );
  if (!r.ok) throw new ValidationError(r.issues);
  return r.row;
}

function mustRead<T extends ComponentTable>(ctx: DocContext, table: T, id: string): TableRow<T> {
  const row = readRow(ctx.doc, table, id);
  if (!row) throw new DocEditError("missing_row", `${table}[${id}] does not exist`);
  return row;
}

/**
 * Checks a whole row after a patch, so a patch can never add a problem to a row: a row Pixano
 * wrote that already breaks a stricter Tessera rule stays editable (SPEC D-REPAIR).
 */
function patched<T extends ComponentTable>(ctx: DocContext, table: T, id: string, patch: RowPatch<T>): void {
  const stored = mustRead(ctx, table, id);
  const merged = { ...stored, ...patch, id };
  const ts = ctx.schema.tables.get(table);
  if (!ts) throw new DocEditError("no_table", `this dataset has no ${table} table`);
  const options = { mode: "full", path: `${table}[${id}]` } as const;
  const r = validateRow(ts, merged, options);
  if (r.ok) return;
  const before = validateRow(ts, stored, options);
  const added = introducedIssues(r.issues, before.ok ? [] : before.issues);
  if (added.length > 0) throw new ValidationError(added);
}

/** D-OPS-1: a new entity and, optionally, its first annotation, in one transaction. */
export function createEntity(
  ctx: DocContext,
  origin: Origin,
  input: { entity?: NewRow<"entities">; annotation?: AnnotationInput },
): { entityId: string; annotationId: string | null } {
  const entity = build(ctx, "entities", { id: ctx.newId(), ...input.entity });
  const entityId = entity.id;
  const write = input.annotation ? annotationOf(ctx, input.annotation, entityId) : null;
  transact(ctx.doc, origin, () => {
    writeRow(ctx.doc, "entities", entity);
    write?.write();
  });
  return { entityId, annotationId: write ? write.id : null };
}

/** Builds (validates) an entity's first annotation now; `write` stores it inside the caller's transaction. */
function annotationOf<T extends ComponentTable>(
  ctx: DocContext,
  input: { readonly table: T; readonly row: NewRow<T> },
  entityId: string,
): { id: string; write: () => void } {
  const row = build(ctx, input.table, { id: ctx.newId(), ...input.row, entity_id: entityId });
  return { id: row.id, write: () => writeRow(ctx.doc, input.table, row) };
}

export function addRow<T extends ComponentTable>(ctx: DocContext, origin: Origin, table: T, row: NewRow<T>): string {
  const full = build(ctx, table, { id: ctx.newId(), ...row });
  transact(ctx.doc, origin, () => writeRow(ctx.doc, table, full));
  return full.id;
}

export function updateRow<T extends ComponentTable>(
  ctx: DocContext,
  origin: Origin,
  table: T,
  id: string,
  patch: RowPatch<T>,
): void {
  patched(ctx, table, id, patch);
  // D-PROPOSAL: editing a model proposal makes it `corrected`, in the same transaction (one undo step).
  const stored = readRowCells(ctx.doc, table, id);
  const correction = stored ? correctionPatch(stored, patch) : {};
  transact(ctx.doc, origin, () => {
    patchRow(ctx.doc, table, id, patch);
    patchRowCells(ctx.doc, table, id, correction);
  });
}

/** D-OPS-2: moves one vertex of a polygon/polyline or one keypoint (coords replaced whole). */
export function moveVertex(
  ctx: DocContext,
  origin: Origin,
  table: "multi_paths" | "keypoints",
  id: string,
  index: number,
  x: number,
  y: number,
): void {
  const row = mustRead(ctx, table, id);
  const coords = [...row.coords];
  if (!Number.isInteger(index) || index < 0 || index * 2 + 1 >= coords.length) {
    throw new DocEditError("out_of_range", `${table}[${id}] has no vertex ${index}`);
  }
  coords[index * 2] = x;
  coords[index * 2 + 1] = y;
  updateRow(ctx, origin, table, id, { coords });
}

/** D-OPS-3: relabels an entity (its `category`, or another field such as `name`). */
export function relabel(ctx: DocContext, origin: Origin, entityId: string, value: string, field = "category"): void {
  const changed = readRowCells(ctx.doc, "entities", entityId)?.[field] !== value;
  transact(ctx.doc, origin, () => {
    updateRow(ctx, origin, "entities", entityId, withCustom({}, { [field]: value }));
    if (changed) correctEntityProposals(ctx.doc, entityId); // D-PROPOSAL: a new label corrects its proposals
  });
}

/** D-OPS-4: deletes rows with everything that hangs on them (D-CASCADE). */
export function deleteRows(ctx: DocContext, origin: Origin, table: ComponentTable, ids: readonly string[]): Removed {
  return transact(ctx.doc, origin, () => deleteWithDependents(ctx.doc, table, ids));
}

type KeyframeTable = "bboxes" | "keypoints" | "masks" | "multi_paths";

/** The kinds drawn on one frame (a tracklet's split and merge move them): read off the kind registry. */
// A registered per-frame kind is typed as one of the built-in ones: the registry checks that it has the per-frame
// columns (tracklet_id, frame_index), the only fields the tracklet operations read or write on it.
const PER_FRAME_TABLES: readonly KeyframeTable[] = ANNOTATION_KINDS.filter((k) => k.perFrame).map(
  (k) => k.id as KeyframeTable,
);

/**
 * D-OPS-5: splits a tracklet after frame `at`: it keeps [start, at], a new tracklet of the same
 * entity and view takes [at+1, end] with the per-frame annotations and states of those frames.
 */
export function splitTracklet(ctx: DocContext, origin: Origin, trackletId: string, at: number): string {
  const t = mustRead(ctx, "tracklets", trackletId);
  const start = int64Number(t.start_timestep);
  const end = int64Number(t.end_timestep);
  if (!(at >= start && at < end))
    throw new DocEditError("out_of_range", `cannot split [${start}, ${end}] after frame ${at}`);
  const s0 = t.start_timestamp;
  const s1 = t.end_timestamp;
  const hasTs = s0 >= 0 && s1 >= 0;
  // Timestamps follow the frames linearly; a tracklet without timestamps keeps -1 on both sides.
  const tsAt = (f: number) => (hasTs ? s0 + ((s1 - s0) * (f - start)) / (end - start) : -1);
  const leftEndTs = tsAt(at);
  const right = build(ctx, "tracklets", {
    ...t,
    id: ctx.newId(),
    start_timestep: at + 1,
    end_timestep: end,
    start_timestamp: tsAt(at + 1),
    end_timestamp: hasTs ? s1 : -1,
  });
  patched(ctx, "tracklets", trackletId, { end_timestep: at, end_timestamp: leftEndTs });
  transact(ctx.doc, origin, () => {
    patchRow(ctx.doc, "tracklets", trackletId, { end_timestep: at, end_timestamp: leftEndTs });
    writeRow(ctx.doc, "tracklets", right);
    for (const table of [...PER_FRAME_TABLES, "entity_dynamic_states" as const]) {
      for (const row of readRows(ctx.doc, table)) {
        if (row.tracklet_id === trackletId && int64Number(row.frame_index) > at) {
          patchRow(ctx.doc, table, row.id, { tracklet_id: right.id });
        }
      }
    }
  });
  return right.id;
}

/** D-OPS-6: glues two tracklets of the same entity and view whose ranges do not overlap. */
export function glueTracklets(ctx: DocContext, origin: Origin, leftId: string, rightId: string): void {
  const a = mustRead(ctx, "tracklets", leftId);
  const b = mustRead(ctx, "tracklets", rightId);
  if (a.entity_id !== b.entity_id || a.view_id !== b.view_id) {
    throw new DocEditError("not_adjacent", "only tracklets of the same entity and view can be glued");
  }
  const [first, second] = int64Number(a.start_timestep) <= int64Number(b.start_timestep) ? [a, b] : [b, a];
  if (int64Number(first.end_timestep) >= int64Number(second.start_timestep)) {
    throw new DocEditError("not_adjacent", "tracklets overlap; split one first");
  }
  const patch: RowPatch<"tracklets"> = {
    start_timestep: first.start_timestep,
    end_timestep: second.end_timestep,
    start_timestamp: first.start_timestamp,
    end_timestamp: second.end_timestamp,
  };
  patched(ctx, "tracklets", leftId, patch);
  transact(ctx.doc, origin, () => {
    patchRow(ctx.doc, "tracklets", leftId, patch);
    for (const table of [...PER_FRAME_TABLES, "entity_dynamic_states" as const]) {
      for (const row of readRows(ctx.doc, table)) {
        if (row.tracklet_id === rightId) patchRow(ctx.doc, table, row.id, { tracklet_id: leftId });
      }
    }
    deleteWithDependents(ctx.doc, "tracklets", [rightId]);
  });
}

/**
 * The id of the track's row on `frameIndex` in `table` (the first by id when there are several),
 * read cell by cell: a run writing keyframe after keyframe must not copy every row of the table
 * for each one.
 */
function keyframeIdAt(doc: Y.Doc, table: KeyframeTable, trackletId: string, frameIndex: number): string | undefined {
  let found: string | undefined;
  for (const [id, m] of tableMap(doc, table)) {
    if (!(m instanceof Y.Map)) continue;
    if (cellOfMap(table, m, "tracklet_id") !== trackletId || cellOfMap(table, m, "frame_index") !== frameIndex)
      continue;
    if (found === undefined || id.localeCompare(found) < 0) found = id;
  }
  return found;
}

/**
 * D-OPS-7: adds (or replaces) the keyframe of a tracklet at a frame: a per-frame annotation of the
 * tracklet's entity, extending the tracklet's range when the frame lies outside it.
 */
export function addKeyframe(
  ctx: DocContext,
  origin: Origin,
  input: {
    trackletId: string;
    table: KeyframeTable;
    frameIndex: number;
    frameId: string;
    /** `view_id` when it is not `frameId` (a video file's frame: the `videos` row, `frameId` `""`). */
    viewId?: string;
    fields: NewRow<KeyframeTable>;
    /**
     * The id of the tracklet's keyframe in `table` on this frame (the first by id), when the caller
     * already looked it up — null: there is none. Left out, it is looked up (a scan of the table).
     */
    existingId?: string | null;
  },
): string {
  const t = mustRead(ctx, "tracklets", input.trackletId);
  const existing =
    input.existingId !== undefined
      ? (input.existingId ?? undefined)
      : keyframeIdAt(ctx.doc, input.table, input.trackletId, input.frameIndex);
  const row = build(ctx, input.table, {
    ...input.fields,
    id: existing ?? ctx.newId(),
    entity_id: t.entity_id,
    tracklet_id: input.trackletId,
    frame_index: input.frameIndex,
    frame_id: input.frameId,
    view_id: input.viewId ?? input.frameId,
  });
  const start = Math.min(int64Number(t.start_timestep), input.frameIndex);
  const end = Math.max(int64Number(t.end_timestep), input.frameIndex);
  transact(ctx.doc, origin, () => {
    if (start !== t.start_timestep || end !== t.end_timestep) {
      patchRow(ctx.doc, "tracklets", input.trackletId, { start_timestep: start, end_timestep: end });
    }
    writeRow(ctx.doc, input.table, row);
  });
  return row.id;
}

/**
 * D-OPS-8: a question opens (or continues) a conversation; it takes the next question number,
 * counted from 0 per conversation as Pixano 0.8 numbers them (a SYSTEM message is also 0).
 */
export function addQuestion(
  ctx: DocContext,
  origin: Origin,
  input: {
    conversationId?: string;
    content: string;
    questionType: string;
    choices?: string[];
    viewId?: string;
    entityIds?: string[];
    user?: string;
  },
): { id: string; conversationId: string; number: number } {
  const conversationId = input.conversationId ?? ctx.newId();
  const numbers = readRows(ctx.doc, "messages")
    .filter((m) => m.conversation_id === conversationId && m.type === "QUESTION")
    .map((m) => int64Number(m.number));
  const number = numbers.length === 0 ? 0 : Math.max(...numbers) + 1;
  const id = addRow(ctx, origin, "messages", {
    conversation_id: conversationId,
    number,
    type: "QUESTION",
    question_type: input.questionType,
    content: input.content,
    choices: input.choices ?? [],
    view_id: input.viewId ?? "",
    entity_ids: input.entityIds ?? [],
    user: input.user ?? "user",
  });
  return { id, conversationId, number };
}

/** D-OPS-9: an answer takes its question's number (Pixano 0.8's rule). */
export function addAnswer(ctx: DocContext, origin: Origin, questionId: string, content: string, user = "user"): string {
  const q = mustRead(ctx, "messages", questionId);
  if (q.type !== "QUESTION") throw new DocEditError("wrong_kind", `messages[${questionId}] is not a question`);
  return addRow(ctx, origin, "messages", {
    conversation_id: q.conversation_id,
    number: q.number,
    type: "ANSWER",
    content,
    view_id: q.view_id,
    entity_ids: q.entity_ids,
    user,
  });
}

/** D-OPS-10: record fields other than `status` (which only the workflow changes) and timestamps. */
export function setRecordFields(ctx: DocContext, origin: Origin, patch: DocRecord): void {
  if ("status" in patch) throw new DocEditError("wrong_kind", "status changes go through the workflow");
  transact(ctx.doc, origin, () => patchRecord(ctx.doc, patch));
}

import { interpolateBBox, interpolateKeypoints } from "../geometry/interpolate.js";
import { ValidationError } from "../schema/errors.js";
import { int64Number } from "../schema/int64.js";
import { parseRow, withCustom, type NewRow, type TableRow } from "../schema/rowTypes.js";
import { patchRow, readRow, readRows, transact } from "./access.js";
import { deleteWithDependents, type Removed } from "./cascade.js";
import { addKeyframe, addRow, createEntity, DocEditError, updateRow, type DocContext } from "./mutators.js";
import type { Origin } from "./origins.js";

/**
 * Track edits of the video workspace (SPEC D-TRACK-0 … D-TRACK-7): a track is an entity's `tracklets` row
 * (`[start_timestep, end_timestep]` on one view) plus per-frame annotations pointing to it with
 * `tracklet_id` on its keyframes; boxes and keypoints are linearly interpolated in between at
 * display time, as Pixano does. Each edit is one transaction with the caller's origin and
 * validates before writing.
 */

/**
 * One frame of a video view: its `sequence_frames` row id, index and timestamp (seconds, or -1).
 * A frame of a video file (a `videos` row) has no row of its own: `id` is then the `videos` row
 * (written to `view_id`) and `frameId` is `""` (written to `frame_id`), as Pixano 0.8 writes them
 * (SPEC D-VFILE-1).
 */
export interface FrameRef {
  readonly index: number;
  readonly id: string;
  readonly timestamp: number;
  /** What `frame_id` records when it is not `id` (a video file's frame: `""`). */
  readonly frameId?: string;
}

/** The `frame_id` and `view_id` a per-frame row on `frame` carries. */
function frameColumns(frame: FrameRef): { frame_id: string; view_id: string } {
  return { frame_id: frame.frameId ?? frame.id, view_id: frame.id };
}

/** Per-frame tables a track can carry keyframes of. */
export type TrackTable = "bboxes" | "keypoints" | "masks" | "multi_paths";
/** Per-frame tables whose shapes are interpolated between keyframes. */
export type InterpolatedTable = "bboxes" | "keypoints";
export const INTERPOLATED_TABLES: readonly InterpolatedTable[] = ["bboxes", "keypoints"];
const TRACK_TABLES: readonly TrackTable[] = ["bboxes", "keypoints", "masks", "multi_paths"];

/** A stored keyframe of a track: the row and its frame. */
export interface TrackKeyframe<T extends TrackTable = TrackTable> {
  readonly frameIndex: number;
  readonly row: TableRow<T>;
}

function mustTrack(ctx: DocContext, trackletId: string): TableRow<"tracklets"> {
  const t = readRow(ctx.doc, "tracklets", trackletId);
  if (!t) throw new DocEditError("missing_row", `tracklets[${trackletId}] does not exist`);
  return t;
}

function hasTable(ctx: DocContext, table: TrackTable): boolean {
  return ctx.schema.tables.has(table);
}

/** The keyframes of a track in one table, by increasing frame (a duplicate frame keeps its first row). */
export function trackKeyframes<T extends TrackTable>(
  ctx: Pick<DocContext, "doc">,
  trackletId: string,
  table: T,
): TrackKeyframe<T>[] {
  const byFrame = new Map<number, TableRow<T>>();
  for (const row of readRows(ctx.doc, table)) {
    if (row.tracklet_id !== trackletId) continue;
    const f = int64Number(row.frame_index);
    if (f < 0 || byFrame.has(f)) continue;
    byFrame.set(f, row as TableRow<T>);
  }
  return [...byFrame.entries()].sort((a, b) => a[0] - b[0]).map(([frameIndex, row]) => ({ frameIndex, row }));
}

/**
 * The shape fields a track shows on `frame` in `table`, computed from its keyframes: the
 * keyframe's own fields on a keyframe; linear interpolation of `coords` between two keyframes
 * (keypoint states carried from the previous one); inside the track's range but before the first
 * or after the last keyframe, the nearest keyframe held. Undefined outside the range, without
 * keyframes, or when the keyframes disagree (different formats or point counts).
 */
export function trackShapeAt(
  keyframes: readonly TrackKeyframe<InterpolatedTable>[],
  range: { readonly start: number; readonly end: number },
  frame: number,
): Readonly<Record<string, unknown>> | undefined {
  if (frame < range.start || frame > range.end) return undefined;
  const first = keyframes[0];
  const last = keyframes[keyframes.length - 1];
  if (!first || !last) return undefined;
  const at = Math.min(Math.max(frame, first.frameIndex), last.frameIndex);
  // The keyframes around `at`: the shapes (and their non-geometric fields) of the one before.
  let before = first;
  for (const k of keyframes) if (k.frameIndex <= at) before = k;
  const after = keyframes.find((k) => k.frameIndex >= at) ?? last;
  const a = before.row as Record<string, unknown>;
  const b = after.row as Record<string, unknown>;
  if (before === after) return { ...a };
  const coords = (r: Record<string, unknown>) =>
    Array.isArray(r.coords) ? r.coords.filter((x): x is number => typeof x === "number") : [];
  const pair = [
    { frameIndex: before.frameIndex, coords: coords(a) },
    { frameIndex: after.frameIndex, coords: coords(b) },
  ];
  if ("format" in a) {
    // Boxes: both ends in one format and unit, else nothing sensible to blend.
    if (a.format !== b.format || a.is_normalized !== b.is_normalized) return undefined;
    try {
      const c = interpolateBBox(pair, at);
      return c ? { ...a, coords: c } : undefined;
    } catch (err) {
      if (err instanceof Error && err.name === "GeometryError") return undefined;
      throw err;
    }
  }
  const states = (r: Record<string, unknown>) => (Array.isArray(r.states) ? r.states.map(String) : []);
  try {
    const k = interpolateKeypoints(
      [
        { ...pair[0]!, states: states(a) },
        { ...pair[1]!, states: states(b) },
      ],
      at,
    );
    return k ? { ...a, coords: k.coords, states: k.states } : undefined;
  } catch (err) {
    if (err instanceof Error && err.name === "GeometryError") return undefined;
    throw err;
  }
}

/** Checks a new row without writing it (the SPEC rule: validate everything before touching the document). */
function check<T extends TrackTable | "tracklets">(ctx: DocContext, table: T, row: NewRow<T>): void {
  const ts = ctx.schema.tables.get(table);
  if (!ts) throw new DocEditError("no_table", `this dataset has no ${table} table`);
  const r = parseRow(table, ts, { id: "check", ...row, record_id: ctx.recordId }, { mode: "create", path: table });
  if (!r.ok) throw new ValidationError(r.issues);
}

/**
 * D-TRACK-1: a new track, drawn on one frame: an entity, its tracklet covering just that frame
 * on `viewId` (the view's id: Pixano keeps a tracklet per entity and view), and the first
 * keyframe (`frame_index`, `frame_id` = `view_id` = the frame's row id; on a video file's frame,
 * `view_id` = the `videos` row and `frame_id` `""`), in one transaction.
 */
export function createTrack(
  ctx: DocContext,
  origin: Origin,
  input: {
    readonly entity?: NewRow<"entities">;
    readonly viewId: string;
    readonly frame: FrameRef;
    readonly table: TrackTable;
    readonly fields: NewRow<TrackTable>;
  },
): { entityId: string; trackletId: string; annotationId: string } {
  const { frame } = input;
  const tracklet: NewRow<"tracklets"> = {
    view_id: input.viewId,
    start_timestep: frame.index,
    end_timestep: frame.index,
    start_timestamp: frame.timestamp,
    end_timestamp: frame.timestamp,
    source_type: typeof input.fields.source_type === "string" ? input.fields.source_type : "",
  };
  check(ctx, "tracklets", tracklet);
  check(ctx, input.table, { ...input.fields, frame_index: frame.index, ...frameColumns(frame) });
  return transact(ctx.doc, origin, () => {
    const made = createEntity(ctx, origin, {
      ...(input.entity ? { entity: input.entity } : {}),
      annotation: { table: "tracklets", row: tracklet },
    });
    const trackletId = made.annotationId as string;
    const annotationId = addKeyframe(ctx, origin, {
      trackletId,
      table: input.table,
      frameIndex: frame.index,
      frameId: frameColumns(frame).frame_id,
      viewId: frame.id,
      fields: input.fields,
    });
    return { entityId: made.entityId, trackletId, annotationId };
  });
}

/**
 * D-TRACK-7: adds (or replaces) a track's keyframe on `frame` (D-OPS-7's `addKeyframe`), and when
 * the frame lies outside the track, moves the timestamp of the bound that grows with the timestep
 * (`addKeyframe` alone leaves `start_timestamp`/`end_timestamp` behind).
 */
export function addTrackKeyframe(
  ctx: DocContext,
  origin: Origin,
  input: {
    readonly trackletId: string;
    readonly table: TrackTable;
    readonly frame: FrameRef;
    readonly fields: NewRow<TrackTable>;
    /** The track's keyframe on this frame when the caller looked it up (null: none; see `addKeyframe`). */
    readonly existingId?: string | null;
  },
): string {
  const t = mustTrack(ctx, input.trackletId);
  const { frame } = input;
  const before = int64Number(t.start_timestep) > frame.index;
  const after = int64Number(t.end_timestep) < frame.index;
  return transact(ctx.doc, origin, () => {
    const id = addKeyframe(ctx, origin, {
      trackletId: input.trackletId,
      table: input.table,
      frameIndex: frame.index,
      frameId: frameColumns(frame).frame_id,
      viewId: frame.id,
      fields: input.fields,
      existingId: input.existingId,
    });
    if (frame.timestamp >= 0 && (before || after))
      patchRow(
        ctx.doc,
        "tracklets",
        input.trackletId,
        before ? { start_timestamp: frame.timestamp } : { end_timestamp: frame.timestamp },
      );
    return id;
  });
}

/**
 * D-TRACK-2: stores what a track shows on `frame` as a keyframe of every interpolated table it
 * has keyframes in (CVAT's and Pixano's "materialise keyframe"). Returns the ids written, by
 * table; nothing is written on a frame that already is a keyframe, or outside the track.
 */
export function materialiseKeyframe(
  ctx: DocContext,
  origin: Origin,
  trackletId: string,
  frame: FrameRef,
  only?: InterpolatedTable,
): Partial<Record<InterpolatedTable, string>> {
  const t = mustTrack(ctx, trackletId);
  const range = { start: int64Number(t.start_timestep), end: int64Number(t.end_timestep) };
  if (frame.index < range.start || frame.index > range.end)
    throw new DocEditError("out_of_range", `frame ${frame.index} is outside the track [${range.start}, ${range.end}]`);
  const out: Partial<Record<InterpolatedTable, string>> = {};
  const writes: Array<() => void> = [];
  for (const table of INTERPOLATED_TABLES) {
    if ((only && table !== only) || !hasTable(ctx, table)) continue;
    const keys = trackKeyframes(ctx, trackletId, table);
    const existing = keys.find((k) => k.frameIndex === frame.index);
    if (existing) {
      out[table] = existing.row.id;
      continue;
    }
    const shape = trackShapeAt(keys, range, frame.index);
    if (!shape) continue;
    const { id: _id, record_id: _r, ...fields } = shape;
    writes.push(() => {
      out[table] = addKeyframe(ctx, origin, {
        trackletId,
        table,
        frameIndex: frame.index,
        frameId: frameColumns(frame).frame_id,
        viewId: frame.id,
        fields: fields as NewRow<InterpolatedTable>,
      });
    });
  }
  transact(ctx.doc, origin, () => writes.forEach((w) => w()));
  return out;
}

/**
 * D-TRACK-3: extends a track to `frame` (before its start or after its end): the range grows and
 * the shape at the old end is stored on `frame` as a keyframe, so the track still begins and ends
 * on stored shapes.
 */
export function extendTrack(ctx: DocContext, origin: Origin, trackletId: string, frame: FrameRef): void {
  const t = mustTrack(ctx, trackletId);
  const start = int64Number(t.start_timestep);
  const end = int64Number(t.end_timestep);
  if (frame.index >= start && frame.index <= end)
    throw new DocEditError("out_of_range", `frame ${frame.index} is already in the track [${start}, ${end}]`);
  const after = frame.index > end;
  const edge = after ? end : start;
  const copies: Array<{ table: InterpolatedTable; fields: Record<string, unknown> }> = [];
  for (const table of INTERPOLATED_TABLES) {
    if (!hasTable(ctx, table)) continue;
    const shape = trackShapeAt(trackKeyframes(ctx, trackletId, table), { start, end }, edge);
    if (!shape) continue;
    const { id: _id, record_id: _r, ...fields } = shape;
    copies.push({ table, fields });
  }
  transact(ctx.doc, origin, () => {
    patchRow(
      ctx.doc,
      "tracklets",
      trackletId,
      after
        ? { end_timestep: frame.index, ...(frame.timestamp >= 0 ? { end_timestamp: frame.timestamp } : {}) }
        : { start_timestep: frame.index, ...(frame.timestamp >= 0 ? { start_timestamp: frame.timestamp } : {}) },
    );
    for (const c of copies)
      addKeyframe(ctx, origin, {
        trackletId,
        table: c.table,
        frameIndex: frame.index,
        frameId: frameColumns(frame).frame_id,
        viewId: frame.id,
        fields: c.fields as NewRow<InterpolatedTable>,
      });
  });
}

/**
 * D-TRACK-4 ("outside", CVAT's O): the object leaves after `frame`: the shape shown on `frame` is
 * stored as a keyframe, the track ends there, and its keyframes and states after it are deleted.
 * On the track's first frame nothing would remain after it, so this is refused (delete the track).
 */
export function endTrackAt(ctx: DocContext, origin: Origin, trackletId: string, frame: FrameRef): void {
  const t = mustTrack(ctx, trackletId);
  const start = int64Number(t.start_timestep);
  const end = int64Number(t.end_timestep);
  if (frame.index < start || frame.index >= end)
    throw new DocEditError("out_of_range", `the track [${start}, ${end}] cannot end at frame ${frame.index}`);
  transact(ctx.doc, origin, () => {
    materialiseKeyframe(ctx, origin, trackletId, frame);
    for (const table of [...TRACK_TABLES, "entity_dynamic_states" as const]) {
      if (!ctx.schema.tables.has(table)) continue;
      const doomed = readRows(ctx.doc, table)
        .filter((r) => r.tracklet_id === trackletId && int64Number(r.frame_index) > frame.index)
        .map((r) => r.id);
      if (doomed.length > 0) deleteWithDependents(ctx.doc, table, doomed);
    }
    patchRow(ctx.doc, "tracklets", trackletId, {
      end_timestep: frame.index,
      ...(frame.timestamp >= 0 ? { end_timestamp: frame.timestamp } : {}),
    });
  });
}

/**
 * D-TRACK-5: deletes a track: its tracklet with its keyframes and states (D-CASCADE), and its
 * entity when nothing else of it remains (no other tracklet, annotation or child entity).
 */
export function deleteTrack(ctx: DocContext, origin: Origin, trackletId: string): Removed {
  const t = mustTrack(ctx, trackletId);
  return transact(ctx.doc, origin, () => {
    const removed = deleteWithDependents(ctx.doc, "tracklets", [trackletId]);
    const entityId = t.entity_id;
    if (entityId === "" || !readRow(ctx.doc, "entities", entityId)) return removed;
    const refersTo = (table: "tracklets" | TrackTable | "entity_dynamic_states" | "text_spans" | "classifications") =>
      ctx.schema.tables.has(table) && readRows(ctx.doc, table).some((r) => r.entity_id === entityId);
    const tables = ["tracklets", ...TRACK_TABLES, "text_spans", "classifications"] as const;
    const children = readRows(ctx.doc, "entities").some((e) => e.parent_id === entityId);
    if (!children && !tables.some(refersTo)) {
      const more = deleteWithDependents(ctx.doc, "entities", [entityId]);
      for (const [table, ids] of Object.entries(more) as Array<[keyof Removed, string[]]>)
        removed[table] = [...(removed[table] ?? []), ...ids];
      removed.entities = [...(removed.entities ?? []), entityId];
    }
    return removed;
  });
}

/**
 * The dynamic state a track has on `frame`: its state row on that frame, else the last one before
 * it (states carry forward, as attributes do in CVAT), with the frame it was set on. Undefined
 * when the track has no state up to `frame`.
 */
export function trackStateAt(
  ctx: Pick<DocContext, "doc">,
  trackletId: string,
  frame: number,
): { readonly row: TableRow<"entity_dynamic_states">; readonly frameIndex: number } | undefined {
  let best: { row: TableRow<"entity_dynamic_states">; frameIndex: number } | undefined;
  for (const row of readRows(ctx.doc, "entity_dynamic_states")) {
    if (row.tracklet_id !== trackletId) continue;
    const f = int64Number(row.frame_index);
    if (f < 0 || f > frame || (best && f <= best.frameIndex)) continue;
    best = { row, frameIndex: f };
  }
  return best;
}

/**
 * D-TRACK-6: sets custom fields of a track's dynamic state on `frame` (Pixano's
 * `entity_dynamic_states`: occlusion, visibility…). The state row of that frame is updated; on a
 * frame without one, a new state (`frame_index`, `frame_id` = `view_id` = the frame's row id) starts
 * from the values carried from the previous state, and the track's keyframes on that frame that
 * point to no state point to it. Returns the state's id.
 */
export function setTrackState(
  ctx: DocContext,
  origin: Origin,
  input: { readonly trackletId: string; readonly frame: FrameRef; readonly fields: Readonly<Record<string, unknown>> },
): string {
  const t = mustTrack(ctx, input.trackletId);
  const { frame } = input;
  const prev = trackStateAt(ctx, input.trackletId, frame.index);
  if (prev && prev.frameIndex === frame.index) {
    updateRow(ctx, origin, "entity_dynamic_states", prev.row.id, withCustom({}, input.fields));
    return prev.row.id;
  }
  const ts = ctx.schema.tables.get("entity_dynamic_states");
  if (!ts) throw new DocEditError("no_table", "this dataset has no entity_dynamic_states table");
  const carried: Record<string, unknown> = {};
  if (prev)
    for (const c of ts.columns)
      if (c.source === "custom") carried[c.name] = (prev.row as Record<string, unknown>)[c.name];
  return transact(ctx.doc, origin, () => {
    const id = addRow(
      ctx,
      origin,
      "entity_dynamic_states",
      withCustom(
        {
          entity_id: t.entity_id,
          tracklet_id: input.trackletId,
          frame_index: frame.index,
          ...frameColumns(frame),
        },
        { ...carried, ...input.fields },
      ),
    );
    for (const table of TRACK_TABLES) {
      if (!ctx.schema.tables.has(table)) continue;
      for (const r of readRows(ctx.doc, table))
        if (
          r.tracklet_id === input.trackletId &&
          int64Number(r.frame_index) === frame.index &&
          r.entity_dynamic_state_id === ""
        )
          patchRow(ctx.doc, table, r.id, { entity_dynamic_state_id: id });
    }
    return id;
  });
}

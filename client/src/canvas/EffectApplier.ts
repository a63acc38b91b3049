import type * as Y from "yjs";
import {
  acceptProposal,
  ENTITY_ANNOTATION_TABLES,
  addTrackKeyframe,
  createEntity,
  createTrack,
  materialiseKeyframe,
  deleteRows,
  moveVertex,
  cellOfMap,
  readRowCells,
  tableMap,
  updateRow,
  type ComponentTable,
  type DatasetSchema,
  type DocContext,
  type FrameRef,
  type InterpolatedTable,
  type Origin,
  type Row,
  type TrackTable,
} from "@tessera/shared-crdt";
import type { ToolName } from "./types.js";
import type { CursorStyle, Effect, Hit, Shape, ShapeRef, ShapeTable, VertexTable } from "../tools/types.js";
import { Throttle, type Clock } from "./clock.js";

/**
 * Applies tool effects. Document effects go through the shared-crdt mutators with the local
 * origin (so per-user undo tracks them); while a drag is in progress updates are coalesced per
 * row and written at most every `throttleMs` (others see the shape move live), and the whole drag
 * is made one undo step. Everything else (previews, selection, cursor, pan…) is forwarded to the
 * {@link EffectTarget} the canvas implements.
 */
export interface EffectTarget {
  preview(shape: Shape | null): void;
  hover(hit: Hit | null): void;
  setCursor(cursor: CursorStyle): void;
  pan(dx: number, dy: number): void;
  select(refs: readonly ShapeRef[]): void;
  switchTool(tool: ToolName): void;
  brushRadius(radius: number): void;
  refused(reason: string): void;
  /** The local drag state for awareness. */
  dragging(ref: ShapeRef | null): void;
  created(table: ShapeTable, id: string, entityId: string): void;
  /** Frame mode: an interpolated shape being edited became the stored keyframe `to`. */
  materialised?(from: ShapeRef, to: ShapeRef): void;
  /** Click-to-segment: a prompt to send, and the end of the draft (the canvas's segmentation session). */
  segment?(prompt: Extract<Effect, { type: "segment" }>): void;
  segmentDone?(decision: "accept" | "discard"): void;
}

/** Frame mode (video): where new shapes land and which shapes are a track's interpolation. */
export interface FrameEditHooks {
  /** The frame shown on a tile and the view id a new tracklet takes; null outside frame mode. */
  frameOn(tileId: string): { readonly frame: FrameRef; readonly viewId: string } | null;
  /** The selected track new shapes join as keyframes, or null. */
  activeTrack(): string | null;
  /** The track and frame of an interpolated (synthetic) shape, or null for a stored row. */
  synthetic(ref: ShapeRef): { readonly trackletId: string; readonly frame: FrameRef } | null;
}

const TRACK_TABLES: ReadonlySet<string> = new Set<TrackTable>(["bboxes", "keypoints", "masks", "multi_paths"]);
const INTERPOLATED: ReadonlySet<string> = new Set<InterpolatedTable>(["bboxes", "keypoints"]);

/** The part of `Y.UndoManager` used to make a drag one undo step. */
interface UndoGrouping {
  captureTimeout: number;
  stopCapturing(): void;
}

export interface EffectApplierOptions {
  readonly doc: Y.Doc;
  readonly schema: DatasetSchema;
  readonly recordId: string;
  readonly newId: () => string;
  readonly origin: unknown;
  readonly clock: Clock;
  readonly editable: () => boolean;
  /** Entity fields for a new shape (e.g. `{ category }`). */
  readonly entityFields: () => Row;
  readonly undoManager?: UndoGrouping;
  /** Minimum interval between document writes during a drag (default 33 ms ≈ 30/s). */
  readonly throttleMs?: number;
  /** Frame mode hooks (video records). */
  readonly frames?: FrameEditHooks;
}

type PendingOp =
  | { readonly kind: "update"; readonly table: ShapeTable; readonly id: string; patch: Row }
  | {
      readonly kind: "vertex";
      readonly table: VertexTable;
      readonly id: string;
      index: number;
      x: number;
      y: number;
    };

export class EffectApplier {
  private readonly ctx: DocContext;
  private readonly origin: Origin;
  private readonly pending = new Map<string, PendingOp>();
  private readonly throttle: Throttle;
  private dragging: ShapeRef | null = null;
  private savedTimeout: number | null = null;
  /** Interpolated shapes stored as keyframes during this gesture: synthetic key → row id. */
  private readonly materialised = new Map<string, string>();

  constructor(
    private readonly options: EffectApplierOptions,
    private readonly target: EffectTarget,
  ) {
    this.ctx = { doc: options.doc, schema: options.schema, recordId: options.recordId, newId: options.newId };
    this.origin = options.origin as Origin;
    this.throttle = new Throttle(options.clock, options.throttleMs ?? 33, () => this.writePending());
  }

  get isDragging(): boolean {
    return this.dragging !== null;
  }

  apply(effects: readonly Effect[]): void {
    for (const e of effects) this.applyOne(e);
  }

  /** Accepts a model proposal (a click-to-segment draft): SPEC D-PROPOSAL's accept, one undo step. */
  acceptProposal(ref: ShapeRef): void {
    this.guarded("accept", () => acceptProposal(this.options.doc, this.origin, ref.table, ref.id));
  }

  private applyOne(e: Effect): void {
    switch (e.type) {
      case "preview":
        return this.target.preview(e.shape);
      case "hover":
        return this.target.hover(e.hit);
      case "setCursor":
        return this.target.setCursor(e.cursor);
      case "pan":
        return this.target.pan(e.dx, e.dy);
      case "select":
        return this.target.select(e.refs);
      case "switchTool":
        return this.target.switchTool(e.tool);
      case "brushRadius":
        return this.target.brushRadius(e.radius);
      case "refuse":
        return this.target.refused(e.reason);
      case "awareness":
        return e.dragging ? this.beginDrag(e.dragging) : this.endDrag();
      case "create":
        return this.create(e.table, e.row);
      case "update":
        return this.edit({ kind: "update", table: e.table, id: e.id, patch: { ...e.patch } });
      case "moveVertex":
        return this.edit({ kind: "vertex", table: e.table, id: e.id, index: e.index, x: e.x, y: e.y });
      case "delete":
        return this.remove(e.refs);
      case "segment":
        return this.target.segment?.(e);
      case "segmentDone":
        return this.target.segmentDone?.(e.decision);
    }
  }

  /** Runs a mutation, turning a refused edit into a `refused` notice (the document is untouched). */
  private guarded(what: string, fn: () => void): boolean {
    if (!this.options.editable()) {
      this.target.refused("read-only");
      return false;
    }
    try {
      fn();
      return true;
    } catch (err) {
      // Mutators validate before writing, so a throw means nothing was changed; tell the user.
      console.warn(`canvas: ${what} refused`, err);
      this.target.refused(err instanceof Error ? err.message : String(err));
      return false;
    }
  }

  private create(table: ShapeTable, row: Row): void {
    const on = typeof row.view_id === "string" ? this.options.frames?.frameOn(row.view_id) : null;
    if (on && TRACK_TABLES.has(table)) {
      this.createOnFrame(table as TrackTable, row, on);
      return;
    }
    let made: { entityId: string; annotationId: string | null } | null = null;
    this.guarded(`create ${table}`, () => {
      made = createEntity(this.ctx, this.origin, { entity: this.options.entityFields(), annotation: { table, row } });
    });
    const m = made as { entityId: string; annotationId: string | null } | null;
    if (!m || !m.annotationId) return;
    this.target.select([{ table, id: m.annotationId }]);
    this.target.created(table, m.annotationId, m.entityId);
  }

  /**
   * A shape drawn on a video frame: a keyframe of the selected track, or a new track (entity,
   * tracklet and keyframe) whose creation form follows.
   */
  private createOnFrame(table: TrackTable, row: Row, on: { frame: FrameRef; viewId: string }): void {
    const track = this.options.frames?.activeTrack() ?? null;
    let made: { entityId: string | null; id: string } | null = null;
    this.guarded(`create ${table}`, () => {
      if (track) {
        const id = addTrackKeyframe(this.ctx, this.origin, { trackletId: track, table, frame: on.frame, fields: row });
        made = { entityId: null, id };
      } else {
        const t = createTrack(this.ctx, this.origin, {
          entity: this.options.entityFields(),
          viewId: on.viewId,
          frame: on.frame,
          table,
          fields: row,
        });
        made = { entityId: t.entityId, id: t.annotationId };
      }
    });
    const m = made as { entityId: string | null; id: string } | null;
    if (!m) return;
    this.target.select([{ table, id: m.id }]);
    if (m.entityId !== null) this.target.created(table, m.id, m.entityId);
  }

  /**
   * The stored row an edit of `ref` goes to: itself, or for a track's interpolated shape the
   * keyframe it becomes on first edit (materialised once per gesture). Null when refused.
   */
  private stored(ref: ShapeRef): string | null {
    const key = `${ref.table}/${ref.id}`;
    const known = this.materialised.get(key);
    if (known) return known;
    const s = this.options.frames?.synthetic(ref);
    if (!s) return ref.id;
    if (!INTERPOLATED.has(ref.table)) return null;
    let id: string | undefined;
    this.guarded("keyframe", () => {
      id = materialiseKeyframe(this.ctx, this.origin, s.trackletId, s.frame, ref.table as InterpolatedTable)[
        ref.table as InterpolatedTable
      ];
    });
    const made = id as string | undefined;
    if (!made) return null;
    this.materialised.set(key, made);
    this.target.materialised?.(ref, { table: ref.table, id: made });
    return made;
  }

  /** The frame changed: synthetic ids now stand for other frames' interpolations. */
  forgetSynthetic(): void {
    this.materialised.clear();
  }

  /**
   * Deletes shapes; an entity whose last annotation goes is deleted with it (no invisible
   * leftovers in the object list), as the workspace's own delete does.
   */
  private remove(all: readonly ShapeRef[]): void {
    // Interpolated shapes are not rows: deleting one would mean deleting its track (the timeline does that).
    const refs = all.filter((r) => !this.options.frames?.synthetic(r));
    if (refs.length === 0) return;
    const byTable = new Map<ComponentTable, string[]>();
    for (const r of refs) byTable.set(r.table, [...(byTable.get(r.table) ?? []), r.id]);
    const orphans = this.orphanedEntities(refs);
    if (orphans.length > 0) byTable.set("entities", orphans);
    this.guarded("delete", () => {
      this.options.doc.transact(() => {
        for (const [table, ids] of byTable)
          deleteRows(
            this.ctx,
            this.origin,
            table,
            ids.filter((id) => tableMap(this.options.doc, table).has(id)),
          );
      }, this.origin);
    });
  }

  private orphanedEntities(refs: readonly ShapeRef[]): string[] {
    const doc = this.options.doc;
    const doomed = new Set(refs.map((r) => `${r.table}/${r.id}`));
    const entities = new Set<string>();
    for (const r of refs) {
      const e = readRowCells(doc, r.table, r.id)?.entity_id;
      if (typeof e === "string" && e !== "") entities.add(e);
    }
    for (const table of ENTITY_ANNOTATION_TABLES) {
      for (const [id, m] of tableMap(doc, table).entries()) {
        const e = cellOfMap(table, m, "entity_id");
        if (typeof e === "string" && entities.has(e) && !doomed.has(`${table}/${id}`)) entities.delete(e);
      }
    }
    for (const m of tableMap(doc, "entities").values()) {
      const parent = cellOfMap("entities", m, "parent_id");
      if (typeof parent === "string") entities.delete(parent);
    }
    return [...entities];
  }

  private edit(input: PendingOp): void {
    const id = this.stored({ table: input.table, id: input.id });
    if (id === null) return;
    const op: PendingOp = id === input.id ? input : { ...input, id };
    if (!this.dragging) {
      this.guarded(`edit ${op.table}`, () => this.write(op));
      this.materialised.clear();
      return;
    }
    const key = `${op.table}/${op.id}`;
    const prev = this.pending.get(key);
    if (prev && prev.kind === "update" && op.kind === "update") prev.patch = { ...prev.patch, ...op.patch };
    else if (prev && prev.kind === "vertex" && op.kind === "vertex" && prev.index === op.index) {
      prev.x = op.x;
      prev.y = op.y;
    } else {
      if (prev) this.writePending();
      this.pending.set(key, op);
    }
    this.throttle.request();
  }

  private write(op: PendingOp): void {
    if (op.kind === "update") updateRow(this.ctx, this.origin, op.table, op.id, op.patch);
    else moveVertex(this.ctx, this.origin, op.table, op.id, op.index, op.x, op.y);
  }

  private writePending(): void {
    if (this.pending.size === 0) return;
    const ops = [...this.pending.values()];
    this.pending.clear();
    this.guarded("drag", () => this.options.doc.transact(() => ops.forEach((op) => this.write(op)), this.origin));
  }

  private beginDrag(ref: ShapeRef): void {
    if (this.dragging) this.endDrag();
    this.dragging = ref;
    const um = this.options.undoManager;
    if (um) {
      // One undo step per drag: close the previous step, then capture everything until the end.
      um.stopCapturing();
      this.savedTimeout = um.captureTimeout;
      um.captureTimeout = Number.POSITIVE_INFINITY;
    }
    this.target.dragging(ref);
  }

  private endDrag(): void {
    if (!this.dragging) return;
    this.throttle.cancel();
    this.writePending();
    this.dragging = null;
    this.materialised.clear();
    const um = this.options.undoManager;
    if (um && this.savedTimeout !== null) {
      um.captureTimeout = this.savedTimeout;
      this.savedTimeout = null;
      um.stopCapturing();
    }
    this.target.dragging(null);
  }

  /** Ends any drag (writing what is pending); used on destroy and tool switches. */
  destroy(): void {
    this.endDrag();
    this.throttle.cancel();
  }
}

import type * as Y from "yjs";
import { readRow, rowOfMap, tableMap, type DocChanges, type Row } from "@tessera/shared-crdt";
import { hitScore, kindOfTable, shapeBounds, shapeOfRow, shapeTables } from "../../kinds/registry.js";
import type { Hit, Shape, ShapeRef, ShapeTable } from "../../tools/types.js";
import type { FrameIndex } from "./FrameIndex.js";
import { syntheticId, trackOfSynthetic } from "./FrameIndex.js";
import { tilesBounds, type ViewTile } from "./layout.js";
import { SpatialGrid } from "./SpatialGrid.js";

/**
 * The document → scene bookkeeping, separated from Pixi so it is testable without a browser.
 * It keeps one {@link SceneItem} per drawable row (keyed `table/id`), built once from the record
 * document and then updated only from diffs (`observeRecordChanges`): rows added/updated/removed
 * become `create`/`update`/`destroy` calls on the registered {@link SceneSink}s (the Pixi
 * annotation layer, the live overlay), entity edits and hide/lock become style updates. A
 * spatial grid over world bounds serves culling and hit testing.
 */
export interface SceneItem {
  readonly slot: number;
  readonly key: string;
  readonly ref: ShapeRef;
  entityId: string;
  shape: Shape;
  tile: ViewTile;
  /** World bounds. */
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  /** Bumped when the geometry changes (views redraw only then). */
  version: number;
  /** Draw order: later rows on top. */
  order: number;
  /** What the kind decodes for hit testing (mask runs), decoded lazily. */
  runs: readonly number[] | null | undefined;
  /** Frame mode: a track's interpolated shape on a frame without a keyframe (not a stored row). */
  readonly synthetic: boolean;
}

export interface SceneChange {
  readonly geometry: boolean;
  readonly style: boolean;
}

export interface SceneSink {
  create(item: SceneItem): void;
  update(item: SceneItem, change: SceneChange): void;
  destroy(item: SceneItem): void;
}

function itemKey(table: ShapeTable, id: string): string {
  return `${table}/${id}`;
}

export class SceneModel {
  readonly grid: SpatialGrid;
  private readonly items = new Map<string, SceneItem>();
  private readonly bySlot: Array<SceneItem | undefined> = [];
  private readonly freeSlots: number[] = [];
  private readonly byEntity = new Map<string, Set<SceneItem>>();
  private readonly tileById: Map<string, ViewTile>;
  private readonly sinks: SceneSink[] = [];
  private hidden: ReadonlySet<string> = new Set();
  private locked: ReadonlySet<string> = new Set();
  /** Entities drawn as pending model proposals, and proposals filtered out (threshold, rejected). */
  private proposals: ReadonlySet<string> = new Set();
  private filtered: ReadonlySet<string> = new Set();
  private reveal = false;
  private orderCounter = 0;
  private readonly scratch: number[] = [];
  private readonly createdNow = new Set<SceneItem>();
  private frames: FrameIndex | null = null;
  private readonly syntheticKeys = new Set<string>();

  constructor(
    private readonly doc: Y.Doc,
    readonly tiles: readonly ViewTile[],
    expectedItems = 1000,
  ) {
    this.tileById = new Map(tiles.map((t) => [t.id, t]));
    const [minX, minY, maxX, maxY] = tilesBounds(tiles);
    this.grid = SpatialGrid.forExtent(minX, minY, maxX, maxY, expectedItems);
  }

  addSink(sink: SceneSink): () => void {
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  get size(): number {
    return this.items.size;
  }

  /** Reads every drawable row of the document (call once, before applying diffs). */
  load(): void {
    for (const table of shapeTables()) {
      for (const [id, m] of tableMap(this.doc, table).entries()) this.upsert(table, id, rowOfMap(m), null);
    }
  }

  /**
   * Frame mode (video records): from now on only the rows of the current frame are items, plus
   * one synthetic item per track and interpolated table on frames between its keyframes.
   */
  enableFrames(index: FrameIndex): void {
    for (const key of [...this.items.keys()]) this.remove(key);
    this.frames = index;
    for (const table of shapeTables())
      for (const [id, m] of tableMap(this.doc, table).entries()) index.noteRow(table, id, rowOfMap(m));
    for (const [id, m] of tableMap(this.doc, "tracklets").entries()) index.noteTrack(id, rowOfMap(m));
    index.takeDirty();
    this.showFrame(index.frame);
  }

  /** The current frame in frame mode, -1 otherwise. */
  get frame(): number {
    return this.frames?.frame ?? -1;
  }

  get frameIndex(): FrameIndex | null {
    return this.frames;
  }

  /** Frame mode: swaps the rows of the current frame for those of `frame` and re-interpolates the tracks. */
  setFrame(frame: number): void {
    const index = this.frames;
    if (!index || frame === index.frame) return;
    for (const [table, id] of index.rowsAt(index.frame)) this.remove(itemKey(table as ShapeTable, id));
    index.setFrame(frame);
    this.showFrame(frame);
  }

  private showFrame(frame: number): void {
    const index = this.frames;
    if (!index) return;
    for (const key of [-1, frame])
      for (const [table, id] of index.rowsAt(key)) {
        const row = readRow(this.doc, table as ShapeTable, id);
        if (row) this.upsertOnFrame(table as ShapeTable, id, row, null);
      }
    this.refreshSynthetic([...index.trackIds()]);
  }

  private upsertOnFrame(table: ShapeTable, id: string, row: Row, hint: { geometry: boolean } | null): void {
    const placed = this.frames?.onCurrentFrame(row) ? this.frames.onTile(row) : null;
    if (!placed) this.remove(itemKey(table, id));
    else this.upsert(table, id, placed, hint);
  }

  /** Re-reads the interpolated shapes of some tracks on the current frame. */
  private refreshSynthetic(trackletIds: readonly string[]): void {
    const index = this.frames;
    if (!index) return;
    for (const trackletId of trackletIds) {
      const want = new Set<string>();
      for (const { table, row } of index.syntheticRows(trackletId)) {
        const key = itemKey(table, syntheticId(trackletId));
        want.add(key);
        this.syntheticKeys.add(key);
        this.upsert(table, syntheticId(trackletId), row, { geometry: true }, true);
      }
      for (const table of shapeTables()) {
        const key = itemKey(table, syntheticId(trackletId));
        if (!want.has(key) && this.syntheticKeys.delete(key)) this.remove(key);
      }
    }
  }

  /** The tracklet of a drawn item (a synthetic one's, or a stored row's `tracklet_id`), or "". */
  trackOf(ref: ShapeRef): string {
    return trackOfSynthetic(ref.id) ?? this.frames?.trackOfRow(ref.table, ref.id) ?? "";
  }

  /** Applies one transaction's changes (from `observeRecordChanges`). */
  apply(changes: DocChanges): void {
    const created = this.createdNow;
    created.clear();
    const index = this.frames;
    if (index)
      for (const [id] of changes.tables.get("tracklets") ?? [])
        index.noteTrack(id, readRow(this.doc, "tracklets", id) ?? null);
    for (const table of shapeTables()) {
      const rows = changes.tables.get(table);
      if (!rows) continue;
      const fields = kindOfTable(table)?.geometryFields ?? [];
      for (const [id, change] of rows) {
        const row = change.kind === "removed" ? undefined : readRow(this.doc, table, id);
        index?.noteRow(table, id, row ?? null);
        if (!row) {
          this.remove(itemKey(table, id));
          continue;
        }
        let geometry = change.kind === "added";
        for (const f of change.before.keys())
          if (f === "view_id" || f === "frame_id" || fields.includes(f)) geometry = true;
        const hint = change.kind === "added" ? null : { geometry };
        if (index) this.upsertOnFrame(table, id, row, hint);
        else this.upsert(table, id, row, hint);
      }
    }
    if (index) this.refreshSynthetic(index.takeDirty());
    // Shapes created in this transaction were styled with the entity as it is now.
    const entities = changes.tables.get("entities");
    if (entities) for (const id of entities.keys()) this.restyleEntity(id, created);
    created.clear();
  }

  private allocSlot(): number {
    return this.freeSlots.pop() ?? this.bySlot.length;
  }

  private upsert(table: ShapeTable, id: string, row: Row, hint: { geometry: boolean } | null, synthetic = false): void {
    const key = itemKey(table, id);
    const existing = this.items.get(key);
    const shape = shapeOfRow(table, row, (v) => this.tileById.get(v));
    const tile = shape ? this.tileById.get(shape.viewId) : undefined;
    if (!shape || !tile) {
      // Not drawable here (another view or frame, or invalid geometry): make sure it is gone.
      if (existing) this.remove(key);
      return;
    }
    const entityId = typeof row.entity_id === "string" ? row.entity_id : "";
    if (!existing) {
      const item: SceneItem = {
        slot: this.allocSlot(),
        key,
        ref: { table, id },
        entityId,
        shape,
        tile,
        minX: 0,
        minY: 0,
        maxX: 0,
        maxY: 0,
        version: 0,
        order: this.orderCounter++,
        runs: undefined,
        synthetic,
      };
      this.place(item);
      this.items.set(key, item);
      this.bySlot[item.slot] = item;
      this.link(item);
      this.createdNow.add(item);
      for (const s of this.sinks) s.create(item);
      return;
    }
    const styleChanged = existing.entityId !== entityId;
    if (styleChanged) {
      this.unlink(existing);
      existing.entityId = entityId;
      this.link(existing);
    }
    const geometry = hint === null || hint.geometry;
    if (geometry) {
      existing.shape = shape;
      existing.tile = tile;
      existing.runs = undefined;
      existing.version++;
      this.place(existing);
    }
    if (geometry || styleChanged) for (const s of this.sinks) s.update(existing, { geometry, style: styleChanged });
  }

  private place(item: SceneItem): void {
    const [x0, y0, x1, y1] = shapeBounds(item.shape);
    const t = item.tile;
    item.minX = t.x + x0 * t.width;
    item.minY = t.y + y0 * t.height;
    item.maxX = t.x + x1 * t.width;
    item.maxY = t.y + y1 * t.height;
    this.grid.set(item.slot, item.minX, item.minY, item.maxX, item.maxY);
  }

  private link(item: SceneItem): void {
    let set = this.byEntity.get(item.entityId);
    if (!set) {
      set = new Set();
      this.byEntity.set(item.entityId, set);
    }
    set.add(item);
  }

  private unlink(item: SceneItem): void {
    const set = this.byEntity.get(item.entityId);
    set?.delete(item);
    if (set?.size === 0) this.byEntity.delete(item.entityId);
  }

  private remove(key: string): void {
    const item = this.items.get(key);
    if (!item) return;
    this.items.delete(key);
    this.bySlot[item.slot] = undefined;
    this.freeSlots.push(item.slot);
    this.grid.remove(item.slot);
    this.unlink(item);
    for (const s of this.sinks) s.destroy(item);
  }

  private restyleEntity(entityId: string, skip?: ReadonlySet<SceneItem>): void {
    const set = this.byEntity.get(entityId);
    if (!set) return;
    for (const item of set)
      if (!skip?.has(item)) for (const s of this.sinks) s.update(item, { geometry: false, style: true });
  }

  private restyleDiff(before: ReadonlySet<string>, after: ReadonlySet<string>): void {
    for (const id of before) if (!after.has(id)) this.restyleEntity(id);
    for (const id of after) if (!before.has(id)) this.restyleEntity(id);
  }

  setHidden(entityIds: ReadonlySet<string>): void {
    const before = this.hidden;
    this.hidden = new Set(entityIds);
    this.restyleDiff(before, this.hidden);
  }

  setLocked(entityIds: ReadonlySet<string>): void {
    const before = this.locked;
    this.locked = new Set(entityIds);
    this.restyleDiff(before, this.locked);
  }

  setProposals(pending: ReadonlySet<string>, filtered: ReadonlySet<string>): void {
    const [beforeP, beforeF] = [this.proposals, this.filtered];
    this.proposals = new Set(pending);
    this.filtered = new Set(filtered);
    this.restyleDiff(beforeP, this.proposals);
    this.restyleDiff(beforeF, this.filtered);
  }

  isProposal(entityId: string): boolean {
    return this.proposals.has(entityId);
  }

  /** While Alt is held hidden shapes are drawn (and can be picked). */
  setRevealHidden(reveal: boolean): void {
    if (reveal === this.reveal) return;
    this.reveal = reveal;
    for (const id of this.hidden) this.restyleEntity(id);
  }

  isHidden(item: SceneItem): boolean {
    return !this.reveal && (this.hidden.has(item.entityId) || this.filtered.has(item.entityId));
  }

  isLocked(ref: ShapeRef): boolean {
    const item = this.get(ref);
    return item !== undefined && this.locked.has(item.entityId);
  }

  isEntityLocked(entityId: string): boolean {
    return this.locked.has(entityId);
  }

  get(ref: ShapeRef): SceneItem | undefined {
    return this.items.get(itemKey(ref.table, ref.id));
  }

  bySlotIndex(slot: number): SceneItem | undefined {
    return this.bySlot[slot];
  }

  /** Frame mode: the tracks' interpolated shapes on the current frame. */
  *synthetic(): IterableIterator<SceneItem> {
    for (const key of this.syntheticKeys) {
      const item = this.items.get(key);
      if (item) yield item;
    }
  }

  all(): IterableIterator<SceneItem> {
    return this.items.values();
  }

  /** The stored items of pending model proposals (the overlay dashes their outline). */
  *proposalItems(): IterableIterator<SceneItem> {
    for (const id of this.proposals) for (const item of this.entityItems(id)) if (!item.synthetic) yield item;
  }

  entityItems(entityId: string): ReadonlySet<SceneItem> {
    return this.byEntity.get(entityId) ?? new Set();
  }

  /** Slots of items intersecting a world rectangle (into `out`, which is cleared). */
  query(minX: number, minY: number, maxX: number, maxY: number, out: number[]): number[] {
    return this.grid.query(minX, minY, maxX, maxY, out);
  }

  /**
   * The item under a world point: among visible items whose exact geometry contains the point
   * (within `tol` world units), the one covering the least area; ties go to the one drawn on top.
   */
  hitTest(wx: number, wy: number, tol: number): Hit | null {
    const slots = this.grid.query(wx - tol, wy - tol, wx + tol, wy + tol, this.scratch);
    let best: SceneItem | null = null;
    let bestScore = Infinity;
    for (const slot of slots) {
      const item = this.bySlot[slot];
      if (!item || this.isHidden(item)) continue;
      const score = hitScore(item.shape, item.tile, wx, wy, tol, (decode) =>
        item.runs === undefined ? (item.runs = decode()) : item.runs,
      );
      if (score < 0) continue;
      if (score < bestScore || (score === bestScore && best !== null && item.order > best.order)) {
        best = item;
        bestScore = score;
      }
    }
    return best ? { ref: best.ref, part: { type: "body" } } : null;
  }
}

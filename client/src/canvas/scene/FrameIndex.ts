import type * as Y from "yjs";
import {
  INTERPOLATED_TABLES,
  readRow,
  trackShapeAt,
  type InterpolatedTable,
  type Row,
  type TrackKeyframe,
} from "@tessera/shared-crdt";
import type { FrameLookup } from "../types.js";

/**
 * The canvas's frame mode bookkeeping (video records): which per-frame rows lie on which frame,
 * which rows belong to which track, and what each track shows on the current frame between its
 * keyframes. The scene asks it which rows to draw on a frame, how a row's frame maps to a tile,
 * and which interpolated ("synthetic") shapes to add; a frame change then touches only the rows of
 * the old and the new frame plus one shape per track, never the whole document.
 */

/** Synthetic shapes (a track's interpolated box/keypoints on a frame without a keyframe) have ids `~<trackletId>`. */
const SYNTHETIC = "~";

export function syntheticId(trackletId: string): string {
  return `${SYNTHETIC}${trackletId}`;
}

/** The tracklet a synthetic id stands for, or null for a stored row's id. */
export function trackOfSynthetic(id: string): string | null {
  return id.startsWith(SYNTHETIC) ? id.slice(SYNTHETIC.length) : null;
}

interface RowMeta {
  readonly frame: number;
  readonly tracklet: string;
}

interface TrackRange {
  readonly start: number;
  readonly end: number;
  readonly entityId: string;
}

/** A row of a per-frame table: its `frame_index` (-1 or missing = on every frame, as on a still image). */
function frameOf(row: Row): number {
  const f = row.frame_index;
  const n = typeof f === "bigint" ? Number(f) : f;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : -1;
}

function rowKey(table: string, id: string): string {
  return `${table}\u0000${id}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf("\u0000");
  return [key.slice(0, i), key.slice(i + 1)];
}

export class FrameIndex {
  private current = 0;
  private readonly byFrame = new Map<number, Set<string>>();
  private readonly meta = new Map<string, RowMeta>();
  private readonly byTrack = new Map<string, Set<string>>();
  private readonly tracks = new Map<string, TrackRange>();
  private readonly keyCache = new Map<string, Map<InterpolatedTable, TrackKeyframe<InterpolatedTable>[]>>();
  /** Tracks whose shapes may have changed since the last {@link takeDirty}. */
  private readonly dirty = new Set<string>();

  constructor(
    private readonly doc: Y.Doc,
    private readonly lookup: FrameLookup,
    /** Tile id of each logical view (the canvas's views). */
    private readonly tileOfView: ReadonlyMap<string, string>,
  ) {}

  get frame(): number {
    return this.current;
  }

  setFrame(frame: number): void {
    this.current = frame;
  }

  /** Records a per-frame row as it is now (`null`: removed). */
  noteRow(table: string, id: string, row: Row | null): void {
    const key = rowKey(table, id);
    const before = this.meta.get(key);
    if (before) {
      this.byFrame.get(before.frame)?.delete(key);
      this.byTrack.get(before.tracklet)?.delete(key);
      this.touch(before.tracklet);
      this.meta.delete(key);
    }
    if (!row) return;
    const m: RowMeta = { frame: frameOf(row), tracklet: typeof row.tracklet_id === "string" ? row.tracklet_id : "" };
    this.meta.set(key, m);
    let f = this.byFrame.get(m.frame);
    if (!f) this.byFrame.set(m.frame, (f = new Set()));
    f.add(key);
    if (m.tracklet !== "") {
      let t = this.byTrack.get(m.tracklet);
      if (!t) this.byTrack.set(m.tracklet, (t = new Set()));
      t.add(key);
      this.touch(m.tracklet);
    }
  }

  /** Records a tracklet row as it is now (`null`: removed). */
  noteTrack(id: string, row: Row | null): void {
    this.touch(id);
    if (!row) {
      this.tracks.delete(id);
      return;
    }
    const n = (v: unknown) => (typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : -1);
    this.tracks.set(id, {
      start: n(row.start_timestep),
      end: n(row.end_timestep),
      entityId: typeof row.entity_id === "string" ? row.entity_id : "",
    });
  }

  private touch(trackletId: string): void {
    if (trackletId === "") return;
    this.dirty.add(trackletId);
    this.keyCache.delete(trackletId);
  }

  /** Tracks touched since the last call (their synthetic shapes need a refresh). */
  takeDirty(): string[] {
    const out = [...this.dirty];
    this.dirty.clear();
    return out;
  }

  /** Whether a row is drawn on the current frame (rows without a frame are on every frame). */
  onCurrentFrame(row: Row): boolean {
    const f = frameOf(row);
    return f < 0 || f === this.current;
  }

  /** Keys `[table, id]` of the rows stored on a frame. */
  *rowsAt(frame: number): IterableIterator<[string, string]> {
    for (const key of this.byFrame.get(frame) ?? []) yield splitKey(key);
  }

  /**
   * The row with its `view_id` replaced by the tile it is drawn on: a frame row's id (`frame_id`,
   * else `view_id`) is resolved to its logical view; a `view_id` that already is a tile stays.
   */
  onTile(row: Row): Row | null {
    const tile = this.tileOf(row);
    return tile === null ? null : { ...row, view_id: tile };
  }

  private tileOf(row: Row): string | null {
    for (const field of ["frame_id", "view_id"] as const) {
      const id = row[field];
      if (typeof id !== "string" || id === "") continue;
      const f = this.lookup.byId(id);
      const tile = f ? this.tileOfView.get(f.logicalName) : undefined;
      if (tile !== undefined) return tile;
    }
    const v = row.view_id;
    if (typeof v === "string" && [...this.tileOfView.values()].includes(v)) return v;
    return null;
  }

  /** Tracklets whose range covers a frame. */
  *tracksAt(frame: number): IterableIterator<string> {
    for (const [id, t] of this.tracks) if (frame >= t.start && frame <= t.end) yield id;
  }

  /** All known tracklet ids (a frame change refreshes every track's synthetic shapes). */
  trackIds(): IterableIterator<string> {
    return this.tracks.keys();
  }

  private keyframes(trackletId: string): Map<InterpolatedTable, TrackKeyframe<InterpolatedTable>[]> {
    const cached = this.keyCache.get(trackletId);
    if (cached) return cached;
    const out = new Map<InterpolatedTable, TrackKeyframe<InterpolatedTable>[]>();
    for (const key of this.byTrack.get(trackletId) ?? []) {
      const [table, id] = splitKey(key);
      if (!(INTERPOLATED_TABLES as readonly string[]).includes(table)) continue;
      const t = table as InterpolatedTable;
      const row = readRow(this.doc, t, id);
      if (!row) continue;
      const f = frameOf(row);
      if (f < 0) continue;
      let list = out.get(t);
      if (!list) out.set(t, (list = []));
      list.push({ frameIndex: f, row });
    }
    for (const list of out.values()) {
      list.sort((a, b) => a.frameIndex - b.frameIndex || a.row.id.localeCompare(b.row.id));
      // One keyframe per frame (the first by id, as every replica sorts them).
      for (let i = list.length - 1; i > 0; i--) if (list[i]?.frameIndex === list[i - 1]?.frameIndex) list.splice(i, 1);
    }
    this.keyCache.set(trackletId, out);
    return out;
  }

  /**
   * The interpolated rows a track shows on the current frame, by table: only where it has
   * keyframes in that table but none on this frame. Rows carry the synthetic id and the tile.
   */
  syntheticRows(trackletId: string): Array<{ table: InterpolatedTable; row: Row }> {
    const t = this.tracks.get(trackletId);
    const f = this.current;
    if (!t || f < t.start || f > t.end) return [];
    const out: Array<{ table: InterpolatedTable; row: Row }> = [];
    for (const [table, keys] of this.keyframes(trackletId)) {
      if (keys.some((k) => k.frameIndex === f)) continue;
      const shape = trackShapeAt(keys, t, f);
      if (!shape) continue;
      const placed = this.onTile(shape as Row);
      if (!placed) continue;
      out.push({ table, row: { ...placed, id: syntheticId(trackletId), entity_id: t.entityId, frame_index: f } });
    }
    return out;
  }

  /** The interpolated fields of a synthetic shape (to store it as a keyframe), or undefined. */
  trackRange(trackletId: string): TrackRange | undefined {
    return this.tracks.get(trackletId);
  }

  /** The tracklet of a stored per-frame row ("" when none). */
  trackOfRow(table: string, id: string): string {
    return this.meta.get(rowKey(table, id))?.tracklet ?? "";
  }
}

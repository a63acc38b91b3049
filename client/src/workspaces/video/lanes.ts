import type * as Y from "yjs";
import { readRows, type ComponentTable } from "@tessera/shared-crdt";

/**
 * The timeline's rows: one lane per entity that lives on frames, with its tracklets (bars) and
 * the frames of their keyframes (ticks), read from the record document. Keyframes are sorted so
 * the timeline finds the visible ones by binary search.
 */
export interface LaneTrack {
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly keyframes: readonly number[];
}

export interface Lane {
  readonly entityId: string;
  readonly tracks: readonly LaneTrack[];
  /** Per-frame annotations of the entity outside any tracklet (Pixano allows them). */
  readonly loose: readonly number[];
}

const PER_FRAME: readonly ComponentTable[] = ["bboxes", "keypoints", "masks", "multi_paths"];

function num(v: unknown): number {
  return typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : -1;
}

export function readLanes(doc: Y.Doc, tables: ReadonlySet<string>): Lane[] {
  const keys = new Map<string, Set<number>>();
  const loose = new Map<string, Set<number>>();
  for (const table of PER_FRAME) {
    if (!tables.has(table)) continue;
    for (const r of readRows(doc, table)) {
      const f = num((r as { frame_index?: unknown }).frame_index);
      if (f < 0) continue;
      const t = (r as { tracklet_id?: unknown }).tracklet_id;
      const e = (r as { entity_id?: unknown }).entity_id;
      const [map, key] = typeof t === "string" && t !== "" ? [keys, t] : [loose, typeof e === "string" ? e : ""];
      let s = map.get(key);
      if (!s) map.set(key, (s = new Set()));
      s.add(f);
    }
  }
  const byEntity = new Map<string, LaneTrack[]>();
  if (tables.has("tracklets"))
    for (const t of readRows(doc, "tracklets")) {
      const list = byEntity.get(t.entity_id) ?? [];
      list.push({
        id: t.id,
        start: num(t.start_timestep),
        end: num(t.end_timestep),
        keyframes: [...(keys.get(t.id) ?? [])].sort((a, b) => a - b),
      });
      byEntity.set(t.entity_id, list);
    }
  const ids = new Set([...byEntity.keys(), ...loose.keys()]);
  const out: Lane[] = [];
  for (const entityId of ids) {
    if (entityId === "") continue;
    out.push({
      entityId,
      tracks: (byEntity.get(entityId) ?? []).sort((a, b) => a.start - b.start),
      loose: [...(loose.get(entityId) ?? [])].sort((a, b) => a - b),
    });
  }
  // Lanes in order of first appearance, then by id (every replica shows the same order).
  const first = (l: Lane) => Math.min(l.tracks[0]?.start ?? Infinity, l.loose[0] ?? Infinity);
  return out.sort((a, b) => first(a) - first(b) || a.entityId.localeCompare(b.entityId));
}

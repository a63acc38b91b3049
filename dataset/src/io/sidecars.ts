import { promises as fs } from "node:fs";
import sharp from "sharp";
import type { OutputInfo } from "sharp";
import { encodeMask, type DatasetSchema, type Row, type TableName } from "@tessera/shared-crdt";
import { ImportError, type SourceLocation } from "./errors.js";
import { stableId } from "./ids.js";
import { isPlainObject } from "./jsonl.js";

/**
 * Video annotation sidecars (Pixano spec §5.2/§5.3): indexed PNG masks (pixel value = object,
 * 0 = background), and per-frame track JSON files `{"view_name"?, "objects": [{track_id, bbox,
 * category}]}`. Both are stem-matched to frame file names by the caller.
 */

/** Per object key, the row-major 0/1 mask of one indexed PNG, in ascending pixel-value order. */
async function decodeIndexPng(
  file: string,
  entityMap: "auto" | Readonly<Record<string, string>>,
  where: SourceLocation,
): Promise<{ width: number; height: number; masks: Map<string, Uint8Array> }> {
  let data: Buffer;
  let info: OutputInfo;
  try {
    const img = sharp(file);
    const meta = await img.metadata();
    if (meta.isPalette) throw new Error("palette PNGs are not supported as index masks; save them as 8-bit greyscale");
    ({ data, info } = await img.extractChannel(0).raw().toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw new ImportError("unreadable_media", `invalid index_png sidecar ${file}: ${(err as Error).message}`, where);
  }
  const { width, height } = info;
  const values = new Set<number>();
  for (const v of data) if (v !== 0) values.add(v);
  const masks = new Map<string, Uint8Array>();
  for (const value of [...values].sort((a, b) => a - b)) {
    let key: string;
    if (entityMap === "auto") key = `object_${value}`;
    else {
      key = entityMap[String(value)] ?? "";
      if (!key) {
        throw new ImportError(
          "invalid_value",
          `pixel value ${value} of ${file} has no entry in entity_map (declared: ${Object.keys(entityMap).sort().join(", ")})`,
          where,
        );
      }
    }
    const m = new Uint8Array(width * height);
    for (let i = 0; i < m.length; i++) if (data[i] === value) m[i] = 1;
    masks.set(key, m);
  }
  return { width, height, masks };
}

interface TrackObject {
  readonly trackId: number;
  readonly bbox: [number, number, number, number];
  readonly category: string;
}

/** Reads one per-frame track JSON file. */
async function decodeTrackJson(
  file: string,
  where: SourceLocation,
): Promise<{ viewName?: string; objects: TrackObject[] }> {
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(file, "utf8"));
  } catch (err) {
    throw new ImportError("invalid_json", `invalid track_json sidecar ${file}: ${(err as Error).message}`, where);
  }
  const bad = (msg: string): never => {
    throw new ImportError("invalid_value", `invalid track_json sidecar ${file}: ${msg}`, where);
  };
  if (!isPlainObject(value)) return bad("expected an object");
  for (const k of Object.keys(value)) if (k !== "view_name" && k !== "objects") bad(`unknown key "${k}"`);
  const objects = (
    Array.isArray(value.objects) ? value.objects : value.objects === undefined ? [] : bad("objects must be a list")
  ) as unknown[];
  const out: TrackObject[] = objects.map((o, i) => {
    if (!isPlainObject(o)) return bad(`objects[${i}] is not an object`);
    const id = o.track_id;
    if (typeof id !== "number" || !Number.isSafeInteger(id)) bad(`objects[${i}].track_id must be an integer`);
    const b = o.bbox;
    if (!Array.isArray(b) || b.length !== 4 || b.some((x) => typeof x !== "number"))
      bad(`objects[${i}].bbox must be 4 numbers`);
    const category =
      o.category === undefined
        ? ""
        : typeof o.category === "string"
          ? o.category
          : bad(`objects[${i}].category must be a string`);
    return { trackId: id as number, bbox: b as [number, number, number, number], category };
  });
  const viewName = typeof value.view_name === "string" ? value.view_name : undefined;
  return { ...(viewName ? { viewName } : {}), objects: out };
}

/** The file name without its last extension (Python's `Path.stem`). */
export function stemOf(p: string): string {
  const base = p.split("/").pop() ?? p;
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

export interface SidecarInput {
  readonly kind: "mask" | "bbox";
  /** Sidecar files (absolute), stem-matched to frames. */
  readonly files: readonly string[];
  readonly entityMap: "auto" | Readonly<Record<string, string>>;
  readonly recordId: string;
  /** Frame index → frame row, and frame file stem → frame index, of the annotated view. */
  readonly frames: ReadonlyMap<number, Row>;
  readonly stems: ReadonlyMap<string, number>;
  readonly source: { readonly type: string; readonly name: string };
  /** The bbox format of track JSON boxes. */
  readonly bbox: (coords: readonly number[]) => { format: string; isNormalized: boolean };
  /** Tracklet timestamp of a frame index. */
  readonly timestamp: (frameIndex: number) => number;
  readonly schema: DatasetSchema;
  readonly where: SourceLocation;
  /**
   * Pixano 0.8 leaves sidecar tracklets without `view_id` and per-frame rows without
   * `tracklet_id`, with `view_id` = the frame (v2 keeps that for row equality). Given here, the
   * rows are linked like every other per-frame annotation instead: `view_id` = this id (the first
   * frame), `tracklet_id` = the entity's tracklet — what the v1 importer does.
   */
  readonly linkToView?: string;
}

/**
 * Sidecar files → entities (one per object key / track id), per-frame masks or boxes, and one
 * tracklet per entity spanning its first to last frame — Pixano 0.8's ids and row order.
 */
export async function sidecarRows(input: SidecarInput, add: (table: TableName, row: Row) => void): Promise<void> {
  const table: TableName = input.kind === "mask" ? "masks" : "bboxes";
  if (!input.schema.tables.has(table) || !input.schema.tables.has("entities")) {
    throw new ImportError(
      "schema_mismatch",
      `${input.kind} sidecars need ${table} and entities tables in the schema`,
      input.where,
    );
  }
  const hasCategory = input.schema.tables.get("entities")!.columns.some((c) => c.name === "category");
  const entities = new Map<string, string>();
  const appearances = new Map<string, number[]>();
  const src = input.source;
  const entity = (key: string, id: string, attrs: Row): string => {
    let entityId = entities.get(key);
    if (entityId === undefined) {
      entityId = id;
      entities.set(key, entityId);
      appearances.set(key, []);
      add("entities", { id: entityId, record_id: input.recordId, ...attrs });
    }
    return entityId;
  };
  for (const file of input.files) {
    const index = input.stems.get(stemOf(file));
    if (index === undefined) continue;
    const frame = input.frames.get(index)!;
    const linked = input.linkToView !== undefined && input.schema.tables.has("tracklets");
    const perFrame = (entityId: string): Row => ({
      record_id: input.recordId,
      entity_id: entityId,
      view_id: input.linkToView ?? frame.id,
      frame_id: frame.id,
      frame_index: index,
      ...(linked ? { tracklet_id: stableId(entityId, "tracklet", 0) } : {}),
      source_type: src.type,
      source_name: src.name,
    });
    if (input.kind === "mask") {
      const decoded = await decodeIndexPng(file, input.entityMap, input.where);
      for (const [key, mask] of decoded.masks) {
        const entityId = entity(key, stableId(input.recordId, "ent", key), {});
        appearances.get(key)!.push(index);
        const rle = encodeMask(mask, decoded.height, decoded.width);
        add("masks", {
          id: stableId(entityId, "mask", index),
          ...perFrame(entityId),
          size: [...rle.size],
          counts: rle.counts,
        });
      }
    } else {
      const decoded = await decodeTrackJson(file, input.where);
      for (const obj of decoded.objects) {
        const key = String(obj.trackId);
        const entityId = entity(
          key,
          stableId(input.recordId, "ent", "track", obj.trackId),
          hasCategory ? { category: obj.category } : {},
        );
        appearances.get(key)!.push(index);
        const { format, isNormalized } = input.bbox(obj.bbox);
        add("bboxes", {
          id: stableId(entityId, "bbox", index),
          ...perFrame(entityId),
          coords: [...obj.bbox],
          format,
          is_normalized: isNormalized,
          confidence: 1,
        });
      }
    }
  }
  if (!input.schema.tables.has("tracklets")) return;
  for (const [key, idx] of appearances) {
    const entityId = entities.get(key)!;
    const start = Math.min(...idx);
    const end = Math.max(...idx);
    add("tracklets", {
      id: stableId(entityId, "tracklet", 0),
      record_id: input.recordId,
      entity_id: entityId,
      ...(input.linkToView !== undefined ? { view_id: input.linkToView } : {}),
      start_timestep: start,
      end_timestep: end,
      start_timestamp: input.timestamp(start),
      end_timestamp: input.timestamp(end),
      source_type: src.type,
      source_name: src.name,
    });
  }
}

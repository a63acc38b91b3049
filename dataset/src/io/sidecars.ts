import { promises as fs } from "node:fs";
import sharp from "sharp";
import type { OutputInfo } from "sharp";
import { ImportError, type SourceLocation } from "./errors.js";
import { isPlainObject } from "./jsonl.js";

/**
 * Video annotation sidecars (Pixano spec §5.2/§5.3): indexed PNG masks (pixel value = object,
 * 0 = background), and per-frame track JSON files `{"view_name"?, "objects": [{track_id, bbox,
 * category}]}`. Both are stem-matched to frame file names by the caller.
 */

/** Per object key, the row-major 0/1 mask of one indexed PNG, in ascending pixel-value order. */
export async function decodeIndexPng(
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
        throw new ImportError("invalid_value", `pixel value ${value} of ${file} has no entry in entity_map (declared: ${Object.keys(entityMap).sort().join(", ")})`, where);
      }
    }
    const m = new Uint8Array(width * height);
    for (let i = 0; i < m.length; i++) if (data[i] === value) m[i] = 1;
    masks.set(key, m);
  }
  return { width, height, masks };
}

export interface TrackObject {
  readonly trackId: number;
  readonly bbox: [number, number, number, number];
  readonly category: string;
}

/** Reads one per-frame track JSON file. */
export async function decodeTrackJson(file: string, where: SourceLocation): Promise<{ viewName?: string; objects: TrackObject[] }> {
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
  const objects = (Array.isArray(value.objects) ? value.objects : value.objects === undefined ? [] : bad("objects must be a list")) as unknown[];
  const out: TrackObject[] = objects.map((o, i) => {
    if (!isPlainObject(o)) return bad(`objects[${i}] is not an object`);
    const id = o.track_id;
    if (typeof id !== "number" || !Number.isSafeInteger(id)) bad(`objects[${i}].track_id must be an integer`);
    const b = o.bbox;
    if (!Array.isArray(b) || b.length !== 4 || b.some((x) => typeof x !== "number")) bad(`objects[${i}].bbox must be 4 numbers`);
    const category = o.category === undefined ? "" : typeof o.category === "string" ? o.category : bad(`objects[${i}].category must be a string`);
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

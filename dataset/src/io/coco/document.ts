import { promises as fs } from "node:fs";
import path from "node:path";
import { ImportError, type SourceLocation } from "../errors.js";
import { isPlainObject } from "../jsonl.js";
import { isFile } from "../media.js";
import { streamArrays } from "./jsonArrays.js";

/**
 * One COCO instances file, streamed and checked item by item ({@link streamArrays}): its images,
 * annotations and categories as typed values. Pixano 0.8 skips what it does not use (a bbox without 4 numbers, an empty segmentation)
 * and refuses what would break its import; so does this, with the file and the index of the bad
 * item (`annotations/instances_train.json:/annotations/12/bbox`).
 */

/** Images, and annotations, per file. */
const MAX_COCO_ITEMS = 5_000_000;
/** Largest single image, annotation or category (a mask's polygons included). */
const MAX_COCO_ITEM_BYTES = 64 * 1024 * 1024;

export interface CocoCategory {
  readonly name: string;
  readonly supercategory: string;
}

export interface CocoImage {
  readonly index: number;
  /** `str(image["id"])`, the record id's source part and the annotations' join key. */
  readonly key: string;
  readonly fileName: string;
  readonly width: number;
  readonly height: number;
  readonly cocoUrl: string;
}

export type CocoSegmentation =
  | { readonly kind: "polygons"; readonly polygons: number[][] }
  | { readonly kind: "rle"; readonly size: [number, number] | null; readonly counts: string }
  | { readonly kind: "urle"; readonly size: [number, number] | null; readonly counts: number[] };

export interface CocoAnnotation {
  readonly index: number;
  readonly key: string;
  readonly imageKey: string;
  readonly categoryId: number | null;
  readonly iscrowd: boolean;
  readonly bbox: [number, number, number, number] | null;
  readonly segmentation: CocoSegmentation | null;
  readonly keypoints: number[] | null;
}

/**
 * Pixano's `_find_annotation_files`: `instances_<split>.json` at the source root, then under
 * `annotations/` (the root one wins for a split); `instances_.json` is split `train`.
 */
export async function findAnnotationFiles(sourceDir: string): Promise<Array<{ split: string; file: string }>> {
  const found = new Map<string, string>();
  for (const sub of ["", "annotations"]) {
    let names: string[];
    try {
      names = (await fs.readdir(path.join(sourceDir, sub))).sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue;
      throw err;
    }
    for (const name of names) {
      const m = /^instances_(.*)\.json$/.exec(name);
      if (!m) continue;
      const rel = sub === "" ? name : `${sub}/${name}`;
      if (!(await isFile(path.join(sourceDir, rel)))) continue;
      const split = m[1] || "train";
      if (!found.has(split)) found.set(split, rel);
    }
  }
  return [...found.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([split, file]) => ({ split, file }));
}

class Check {
  constructor(readonly file: string) {}

  fail(pointer: string, detail: string, reason: "invalid_value" | "invalid_json" = "invalid_value"): never {
    const where: SourceLocation = { file: this.file, pointer };
    throw new ImportError(reason, detail, where);
  }

  /** Pixano's `str(x)` of an id: integers and strings only (a float would print differently in Python). */
  idKey(v: unknown, pointer: string, what: string): string {
    if (typeof v === "string") return v;
    if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
    return this.fail(pointer, `${what} must be an integer or a string, got ${JSON.stringify(v)?.slice(0, 40)}`);
  }

  num(v: unknown, pointer: string): number {
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(pointer, `must be a finite number`);
    return v;
  }

  size(v: unknown, pointer: string): [number, number] | null {
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0))
      this.fail(pointer, "size must be [height, width], two non-negative integers");
    return [v[0] as number, v[1] as number];
  }
}

function imageOf(c: Check, v: unknown, i: number): CocoImage {
  const p = `/images/${i}`;
  if (!isPlainObject(v)) c.fail(p, "an image must be an object");
  const fileName = v.file_name === undefined || v.file_name === null ? "" : v.file_name;
  if (typeof fileName !== "string") c.fail(`${p}/file_name`, "file_name must be a string");
  // A file name is looked up under the source folder: never outside it.
  if (path.isAbsolute(fileName) || fileName.split(/[\\/]/).includes(".."))
    c.fail(`${p}/file_name`, `file_name must be a path inside the source folder, got "${fileName.slice(0, 200)}"`);
  const dim = (k: "width" | "height"): number => {
    const d = v[k];
    if (d === undefined || d === null || d === 0) return 0;
    // Python's int(): a float size is truncated.
    if (typeof d !== "number" || !Number.isFinite(d) || d < 0 || d > 1e9)
      c.fail(`${p}/${k}`, `${k} must be a non-negative number of pixels`);
    return Math.trunc(d);
  };
  const url = v.coco_url;
  if (url !== undefined && url !== null && typeof url !== "string")
    c.fail(`${p}/coco_url`, "coco_url must be a string");
  return {
    index: i,
    key: v.id === undefined ? "" : c.idKey(v.id, `${p}/id`, "image id"),
    fileName,
    width: dim("width"),
    height: dim("height"),
    cocoUrl: typeof url === "string" ? url : "",
  };
}

function segmentationOf(c: Check, v: unknown, p: string): CocoSegmentation | null {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) {
    if (v.length === 0) return null;
    const polygons = v.map((poly, j) => {
      if (!Array.isArray(poly)) c.fail(`${p}/${j}`, "a polygon must be a list of numbers [x1, y1, x2, y2, …]");
      return poly.map((x, k) => c.num(x, `${p}/${j}/${k}`));
    });
    return { kind: "polygons", polygons };
  }
  if (isPlainObject(v)) {
    const size = c.size(v.size, `${p}/size`);
    const counts = v.counts;
    if (typeof counts === "string") return { kind: "rle", size, counts };
    if (Array.isArray(counts)) {
      const runs = counts.map((n, k) => {
        if (!Number.isSafeInteger(n) || (n as number) < 0)
          c.fail(`${p}/counts/${k}`, "a run length must be an integer ≥ 0");
        return n as number;
      });
      return { kind: "urle", size, counts: runs };
    }
    // Pixano keeps no mask for other counts, nor for a segmentation of another type.
    return null;
  }
  return null;
}

/** Python's truthiness of a JSON value (`bool(x)`). */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

function annotationOf(c: Check, v: unknown, i: number): CocoAnnotation {
  const p = `/annotations/${i}`;
  if (!isPlainObject(v)) c.fail(p, "an annotation must be an object");
  let bbox: CocoAnnotation["bbox"] = null;
  if (v.bbox !== undefined && v.bbox !== null) {
    if (!Array.isArray(v.bbox)) c.fail(`${p}/bbox`, "bbox must be [x, y, width, height]");
    const n = v.bbox.map((x, k) => c.num(x, `${p}/bbox/${k}`));
    // Pixano keeps a box only when it has 4 values.
    if (n.length === 4) bbox = [n[0]!, n[1]!, n[2]!, n[3]!];
  }
  let keypoints: number[] | null = null;
  if (v.keypoints !== undefined && v.keypoints !== null) {
    if (!Array.isArray(v.keypoints)) c.fail(`${p}/keypoints`, "keypoints must be [x1, y1, v1, x2, y2, v2, …]");
    keypoints = v.keypoints.map((x, k) => c.num(x, `${p}/keypoints/${k}`));
    if (keypoints.length === 0) keypoints = null;
  }
  const cat = v.category_id;
  if (cat !== undefined && cat !== null && !Number.isSafeInteger(cat))
    c.fail(`${p}/category_id`, "category_id must be an integer");
  return {
    index: i,
    key: v.id === undefined ? "" : c.idKey(v.id, `${p}/id`, "annotation id"),
    imageKey: v.image_id === undefined ? "" : c.idKey(v.image_id, `${p}/image_id`, "image_id"),
    categoryId: typeof cat === "number" ? cat : null,
    // Pixano: `bool(annotation.get("iscrowd", 0))`.
    iscrowd: truthy(v.iscrowd),
    bbox,
    segmentation: segmentationOf(c, v.segmentation, `${p}/segmentation`),
    keypoints,
  };
}

function categoryOf(c: Check, cat: unknown, i: number): [number, CocoCategory] {
  const p = `/categories/${i}`;
  if (!isPlainObject(cat)) c.fail(p, "a category must be an object");
  if (!Number.isSafeInteger(cat.id)) c.fail(`${p}/id`, "a category id must be an integer");
  const str = (k: "name" | "supercategory"): string => {
    const s = cat[k];
    if (s === undefined || s === null) return "";
    if (typeof s !== "string") c.fail(`${p}/${k}`, `${k} must be a string`);
    return s;
  };
  return [cat.id as number, { name: str("name"), supercategory: str("supercategory") }];
}

export type CocoItem =
  | { readonly kind: "image"; readonly image: CocoImage }
  | { readonly kind: "annotation"; readonly annotation: CocoAnnotation }
  | { readonly kind: "category"; readonly id: number; readonly category: CocoCategory };

/**
 * Streams the checked items of one instances file (`rel`, relative to `sourceDir`), in file
 * order, from the arrays named in `keys`.
 */
export async function* cocoItems(
  sourceDir: string,
  rel: string,
  keys: ReadonlyArray<"images" | "annotations" | "categories">,
): AsyncGenerator<CocoItem> {
  const c: Check = new Check(rel);
  const limits = { maxItems: MAX_COCO_ITEMS, maxItemBytes: MAX_COCO_ITEM_BYTES };
  for await (const item of streamArrays(path.join(sourceDir, rel), rel, new Set(keys), limits)) {
    if (item.key === "images") yield { kind: "image", image: imageOf(c, item.value, item.index) };
    else if (item.key === "annotations")
      yield { kind: "annotation", annotation: annotationOf(c, item.value, item.index) };
    else {
      const [id, category] = categoryOf(c, item.value, item.index);
      yield { kind: "category", id, category };
    }
  }
}

/** The refusal of an annotation naming an undeclared category. */
export function undeclaredCategory(rel: string, index: number, id: number): ImportError {
  return new ImportError("invalid_value", `category_id ${id} is not declared in categories`, {
    file: rel,
    pointer: `/annotations/${index}/category_id`,
  });
}

/** Pixano's `_locate_image`: `<split>/`, `image/<split>/`, `images/<split>/`, then the source root. */
export async function locateImage(sourceDir: string, split: string, fileName: string): Promise<string | null> {
  if (fileName === "") return null;
  for (const dir of [split, path.join("image", split), path.join("images", split), ""]) {
    const p = path.join(sourceDir, dir, fileName);
    if (await isFile(p)) return p;
  }
  return null;
}

import path from "node:path";
import { runsToCounts, type schema } from "@tessera/shared-crdt";
import { polygonsToCocoRle } from "../cocoPoly.js";
import { ImportError } from "../errors.js";
import { stableId } from "../ids.js";
import { probeImage, readMedia } from "../media.js";
import type { ImportWarning, PendingRow, ReaderOptions, RecordBundle, SourceReader } from "../source.js";
import { buildTarget, manifest, withInfo, type ImportTarget } from "../target.js";
import { imageRow } from "../viewRows.js";
import {
  cocoItems,
  findAnnotationFiles,
  locateImage,
  undeclaredCategory,
  type CocoAnnotation,
  type CocoCategory,
  type CocoImage,
  type CocoSegmentation,
} from "./document.js";

/**
 * The COCO instances reader, as Pixano 0.8's `coco` format imports: one record per image (split
 * from `instances_<split>.json`), its image embedded, one entity per annotation (`category`,
 * `supercategory`, `iscrowd`) with a normalised xywh box, a compressed-RLE mask (polygons
 * rasterised as pycocotools does, uncompressed RLE compressed) and COCO-17 keypoints. Ids are
 * Pixano's: `stable_id(namespace, split, image id)` for the record, `stable_id(record, "ent",
 * annotation id)` for the entity, so the same source gives the same ids in both.
 *
 * Each file is streamed, never held whole. Opening reads every file once (counts, every item
 * checked, categories declared, media located); the bundles then read each file twice, as Pixano
 * does: annotations (and categories) into an index by `image_id`, then the images, joined to it.
 */
const KEYPOINT_STATES: Record<number, string> = { 0: "invisible", 1: "hidden", 2: "visible" };
const COCO17_TEMPLATE_ID = "coco-17";

const STR: schema.FieldPayload = { collection: false, type: "str", required: false, default: "" };
const ENTITY_FIELDS: Record<string, schema.FieldPayload> = {
  category: STR,
  supercategory: STR,
  iscrowd: { collection: false, type: "bool", required: false, default: false },
};

/** Pixano's intrinsic COCO schema: image workspace, entity attrs, bbox + mask + keypoint. */
function cocoTarget(name: string, workspace: string, now?: () => Date): ImportTarget {
  return buildTarget({
    name,
    workspace,
    slots: {
      record: manifest("Record"),
      entity: manifest("Entity", ENTITY_FIELDS, "CustomEntity"),
      bbox: manifest("BBox"),
      mask: manifest("CompressedRLE"),
      keypoint: manifest("KeyPoints"),
    },
    views: { image: manifest("Image") },
    ...(now ? { now } : {}),
  });
}

function maskOf(seg: CocoSegmentation, h: number, w: number): { size: [number, number]; counts: string } | null {
  switch (seg.kind) {
    case "rle":
      return { size: seg.size ?? [h, w], counts: seg.counts };
    case "urle":
      return { size: seg.size ?? [h, w], counts: runsToCounts(seg.counts) };
    case "polygons":
      return h && w ? polygonsToCocoRle(seg.polygons, h, w) : null;
  }
}

class CocoReader implements SourceReader {
  readonly format = "coco" as const;
  readonly inferred = [];

  constructor(
    readonly sourceDir: string,
    readonly target: ImportTarget,
    readonly splits: Map<string, number>,
    private readonly files: Array<{ split: string; file: string }>,
    readonly warnings: ImportWarning[],
    private readonly options: ReaderOptions,
  ) {}

  private get namespace(): string {
    return path.basename(path.resolve(this.sourceDir));
  }

  async *bundles(): AsyncGenerator<RecordBundle> {
    for (const { split, file } of this.files) {
      const categories = new Map<number, CocoCategory>();
      const byImage = new Map<string, CocoAnnotation[]>();
      for await (const item of cocoItems(this.sourceDir, file, ["annotations", "categories"])) {
        if (item.kind === "category") categories.set(item.id, item.category);
        else if (item.kind === "annotation") {
          const a = item.annotation;
          const list = byImage.get(a.imageKey);
          if (list) list.push(a);
          else byImage.set(a.imageKey, [a]);
        }
      }
      const doc = { file, split, categories };
      for await (const item of cocoItems(this.sourceDir, file, ["images"]))
        if (item.kind === "image") yield await this.bundle(doc, item.image, byImage.get(item.image.key) ?? []);
    }
  }

  private async bundle(
    doc: { readonly file: string; readonly split: string; readonly categories: ReadonlyMap<number, CocoCategory> },
    image: CocoImage,
    annotations: CocoAnnotation[],
  ): Promise<RecordBundle> {
    const where = { file: doc.file, pointer: `/images/${image.index}` };
    const recordId = stableId(this.namespace, doc.split, image.key);
    const viewId = stableId(recordId, "view", "image");
    const local = await locateImage(this.sourceDir, doc.split, image.fileName);
    const format = path.extname(image.fileName).slice(1).toUpperCase() || "UNKNOWN";
    if (this.options.media === "uri") {
      // Pixano keeps `coco_url` verbatim and probes a local copy only for a missing size.
      let { width, height } = image;
      if ((!width || !height) && local !== null)
        ({ width, height } = await probeImage(await readMedia(local, where), where));
      const view = {
        id: viewId,
        record_id: recordId,
        logical_name: "image",
        uri: image.cocoUrl,
        width,
        height,
        format,
      };
      return this.rows(doc, recordId, viewId, view, annotations, width, height, where);
    }
    if (local === null)
      throw new ImportError(
        "missing_media",
        `image file '${image.fileName}' not found for split '${doc.split}'`,
        where,
      );
    const view = await imageRow({
      id: viewId,
      recordId,
      logicalName: "image",
      media: local,
      where,
      preview: !this.options.skipPreviews,
    });
    // Pixano keeps the sizes the JSON declares (probing only when one is missing) and names the
    // format from the file's extension. The row is changed in place: it carries the thumbnail mark.
    let { width, height } = image;
    if (!width || !height) ({ width, height } = await probeImage(await readMedia(local, where), where));
    view.width = width;
    view.height = height;
    view.format = format;
    return this.rows(doc, recordId, viewId, view, annotations, width, height, where);
  }

  private rows(
    doc: { readonly file: string; readonly split: string; readonly categories: ReadonlyMap<number, CocoCategory> },
    recordId: string,
    viewId: string,
    view: PendingRow["row"],
    annotations: CocoAnnotation[],
    width: number,
    height: number,
    where: { readonly file: string; readonly pointer: string },
  ): RecordBundle {
    const rows: PendingRow[] = [
      { table: "records", row: { id: recordId, split: doc.split } },
      { table: "images", row: view },
    ];
    const later: PendingRow[] = [];
    for (const a of annotations) {
      const cat = a.categoryId === null ? undefined : doc.categories.get(a.categoryId);
      const entityId = stableId(recordId, "ent", a.key);
      const pointer = `/annotations/${a.index}`;
      rows.push({
        table: "entities",
        pointer,
        row: {
          id: entityId,
          record_id: recordId,
          category: cat?.name ?? "",
          supercategory: cat?.supercategory ?? "",
          iscrowd: a.iscrowd,
        },
      });
      const common = { record_id: recordId, entity_id: entityId, view_id: viewId };
      if (a.bbox && width && height) {
        const [x, y, w, h] = a.bbox;
        later.push({
          table: "bboxes",
          pointer: `${pointer}/bbox`,
          row: {
            id: stableId(entityId, "bbox", 0),
            coords: [x / width, y / height, w / width, h / height],
            format: "xywh",
            is_normalized: true,
            confidence: 1.0,
            ...common,
          },
        });
      }
      const mask = a.segmentation ? maskOf(a.segmentation, height, width) : null;
      if (mask)
        later.push({
          table: "masks",
          pointer: `${pointer}/segmentation`,
          row: { id: stableId(entityId, "mask", 0), size: mask.size, counts: mask.counts, ...common },
        });
      if (a.keypoints && width && height) {
        const coords: number[] = [];
        const states: string[] = [];
        const k = a.keypoints;
        for (let i = 0; i < k.length - 2; i += 3) {
          coords.push(k[i]! / width, k[i + 1]! / height);
          states.push(KEYPOINT_STATES[Math.trunc(k[i + 2]!)] ?? "invisible");
        }
        later.push({
          table: "keypoints",
          pointer: `${pointer}/keypoints`,
          row: { id: stableId(entityId, "keypoints", 0), template_id: COCO17_TEMPLATE_ID, coords, states, ...common },
        });
      }
    }
    return { split: doc.split, location: where, rows: [...rows, ...later] };
  }
}

/** Opens (and fully checks) a COCO source: `instances_<split>.json` at the root or under `annotations/`. */
export async function openCoco(sourceDir: string, options: ReaderOptions = {}): Promise<SourceReader> {
  const files = await findAnnotationFiles(sourceDir);
  if (files.length === 0)
    throw new ImportError("invalid_spec", "no instances_*.json found at the source root or under annotations/", {
      file: sourceDir,
    });
  const splits = new Map<string, number>();
  const warnings: ImportWarning[] = [];
  for (const { split, file } of files) {
    let images = 0;
    const imageKeys = new Set<string>();
    const declared = new Set<number>();
    /** Category id → the first annotation using it; annotation image_id → how many. */
    const used = new Map<number, number>();
    const refs = new Map<string, number>();
    for await (const item of cocoItems(sourceDir, file, ["images", "annotations", "categories"])) {
      if (item.kind === "category") declared.add(item.id);
      else if (item.kind === "annotation") {
        const a = item.annotation;
        if (a.categoryId !== null && !used.has(a.categoryId)) used.set(a.categoryId, a.index);
        refs.set(a.imageKey, (refs.get(a.imageKey) ?? 0) + 1);
      } else {
        const image = item.image;
        images++;
        imageKeys.add(image.key);
        if (options.media === "uri") {
          if (image.cocoUrl === "")
            throw new ImportError(
              "missing_media",
              "media mode 'uri' needs a coco_url per image; use embed for local files",
              {
                file,
                pointer: `/images/${image.index}`,
              },
            );
        } else if ((await locateImage(sourceDir, split, image.fileName)) === null)
          throw new ImportError("missing_media", `image file '${image.fileName}' not found for split '${split}'`, {
            file,
            pointer: `/images/${image.index}/file_name`,
          });
      }
    }
    const undeclared = [...used].filter(([id]) => !declared.has(id)).sort((a, b) => a[1] - b[1])[0];
    if (undeclared) throw undeclaredCategory(file, undeclared[1], undeclared[0]);
    let orphans = 0;
    for (const [key, n] of refs) if (!imageKeys.has(key)) orphans += n;
    if (orphans > 0)
      warnings.push({
        code: "unknown_image_id",
        message: `${orphans} annotation(s) name an image_id that is not in images; they are not imported`,
        location: { file },
      });
    splits.set(split, images);
  }
  const name = options.name ?? path.basename(path.resolve(sourceDir));
  const built = cocoTarget(name, options.workspace ?? "image", options.now);
  // Pixano stamps what was written: URIs only are "filesystem".
  const target = options.media === "uri" ? withInfo(built, { storage_mode: "filesystem" }) : built;
  return new CocoReader(sourceDir, target, splits, files, warnings, options);
}

import type { Row } from "@tessera/shared-crdt";
import { bboxCoords, keypointFields, maskFields, polygonFields } from "./annotate.js";
import {
  commentFor,
  customManifest,
  emptyFeaturesValues,
  mapLimit,
  onStillImage,
  pickStatus,
  plain,
  provenance,
  push,
  recordTimes,
  type DemoContext,
  type DemoPlan,
} from "./plan.js";
import { embeddedImageRow, renderSvg } from "./render.js";
import { makeScene, sceneSvg, WEATHERS, type Scene } from "./scene.js";
import { CATEGORIES, type Category } from "./shapes.js";

/**
 * `demo_image`: street scenes with every 2D annotation kind Pixano stores — boxes on everything,
 * closed polygons and COCO RLE masks on solid objects, `person` keypoints on people — plus a
 * custom record field (`weather`) and a custom entity field (`category`, closed pick-list).
 * Records that are still `new` carry model pre-annotations (boxes with a confidence) to review.
 */
const IMAGE_DATASET_ID = "demo_image";

export interface ImageDatasetOptions {
  readonly records: number;
}

function sceneCategories(ctx: DemoContext): Category[] {
  const n = ctx.rng.int(1, 4);
  const pool = [...CATEGORIES];
  const out: Category[] = [];
  for (let i = 0; i < n; i++) {
    const c = ctx.rng.pick(pool);
    out.push(c);
    if (c === "house" || c === "balloon") pool.splice(pool.indexOf(c), 1);
  }
  return out;
}

export async function buildImageDataset(ctx: DemoContext, options: ImageDatasetOptions): Promise<DemoPlan> {
  const rng = ctx.rng;
  const scenes: Scene[] = [];
  for (let i = 0; i < options.records; i++) scenes.push(makeScene(rng, { categories: sceneCategories(ctx) }));
  const rows: DemoPlan["rows"] = {};
  const size = { width: scenes[0]?.width ?? 320, height: scenes[0]?.height ?? 240 };

  scenes.forEach((scene, i) => {
    const recordId = `image_${String(i + 1).padStart(4, "0")}`;
    const viewId = `${recordId}_image`;
    const status = pickStatus(rng);
    push(rows, "records", {
      id: recordId,
      split: rng.chance(0.8) ? "train" : "val",
      ...recordTimes(ctx, i, options.records, status),
      status,
      comment: commentFor(status, rng),
      weather: scene.weather,
    });
    // One record in ten has nothing yet: what a freshly imported image looks like.
    if (status === "new" && rng.chance(0.25)) return;
    const byModel = status === "new";
    scene.objects.forEach((object, k) => {
      const entityId = `${recordId}_obj${k + 1}`;
      push(rows, "entities", { id: entityId, record_id: recordId, parent_id: "", category: object.category });
      const who = byModel
        ? provenance("model")
        : status === "validated"
          ? provenance("ground_truth")
          : provenance("human");
      const base: Row = { record_id: recordId, entity_id: entityId, ...who, ...onStillImage(viewId) };
      push(rows, "bboxes", {
        id: `${entityId}_bbox`,
        ...base,
        coords: bboxCoords(object, size),
        format: "xywh",
        is_normalized: true,
        confidence: byModel ? Math.round(rng.float(0.45, 0.99) * 100) / 100 : 1,
      });
      if (byModel) return;
      if (object.joints) {
        push(rows, "keypoints", { id: `${entityId}_kpts`, ...base, ...keypointFields(object, size) });
        return;
      }
      // Solid objects get a mask, a polygon, or both (so every kind shows up in the explorer).
      const kind = rng.weighted([
        ["mask", 2],
        ["polygon", 2],
        ["both", 1],
      ] as const);
      if (kind !== "polygon") push(rows, "masks", { id: `${entityId}_mask`, ...base, ...maskFields(object, size) });
      if (kind !== "mask")
        push(rows, "multi_paths", { id: `${entityId}_poly`, ...base, ...polygonFields(object, size) });
    });
  });

  const rendered = await mapLimit(scenes, 4, (scene) => renderSvg(sceneSvg(scene), "JPEG"));
  rendered.forEach((img, i) => push(rows, "images", embeddedImageRow(`image_${String(i + 1).padStart(4, "0")}`, img)));

  const featuresValues = emptyFeaturesValues();
  featuresValues.entities.entities = [{ name: "category", restricted: true, values: [...CATEGORIES] }];
  featuresValues.item.records = [{ name: "weather", restricted: false, values: [...WEATHERS] }];
  return {
    info: {
      id: IMAGE_DATASET_ID,
      name: "demo_image",
      description:
        "Synthetic street scenes: boxes, polygons, RLE masks and person keypoints; weather and category fields.",
      workspace: "image",
      slots: {
        record: customManifest("Record", "DemoImageRecord", ["weather"]),
        entity: customManifest("Entity", "DemoObject", ["category"]),
        bbox: plain("BBox"),
        mask: plain("CompressedRLE"),
        keypoint: plain("KeyPoints"),
        multi_path: plain("MultiPath"),
      },
      views: { image: plain("Image") },
    },
    featuresValues,
    rows,
    mosaic: rendered.slice(0, 4).map((r) => r.bytes),
  };
}

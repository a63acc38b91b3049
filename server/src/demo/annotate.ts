import { polygonToRle } from "@tessera/shared-crdt";
import type { Point, SceneObject } from "./shapes.js";

/**
 * Annotation geometry derived from what a scene draws, in Pixano's stored encodings: normalised
 * `xywh` boxes, closed multi-paths with normalised coordinates, COCO RLE masks (`size=[h,w]`) and
 * normalised keypoints. Boxes are snapped outward to whole pixels so they enclose every pixel of
 * the object, including the mask's.
 */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** Six decimals, as Pixano's fixtures print them, without leaving [0, 1]. */
const unit = (v: number) => clamp(Math.round(v * 1e6) / 1e6, 0, 1);

/** Pixel box `[x1, y1, x2, y2]` snapped outward to whole pixels and clamped to the image. */
function pixelBox(
  bounds: readonly [number, number, number, number],
  size: ImageSize,
): [number, number, number, number] {
  const [x1, y1, x2, y2] = bounds;
  return [
    clamp(Math.floor(x1), 0, size.width),
    clamp(Math.floor(y1), 0, size.height),
    clamp(Math.ceil(x2), 0, size.width),
    clamp(Math.ceil(y2), 0, size.height),
  ];
}

/** Normalised `xywh` coords of an object's box (exact fractions of whole pixels). */
export function bboxCoords(object: SceneObject, size: ImageSize): [number, number, number, number] {
  const [x1, y1, x2, y2] = pixelBox(object.bounds, size);
  return [x1 / size.width, y1 / size.height, (x2 - x1) / size.width, (y2 - y1) / size.height];
}

function flat(points: readonly Point[]): number[] {
  return points.flatMap(([x, y]) => [x, y]);
}

/** The outline as a closed multi-path: `coords` normalised, one ring. */
export function polygonFields(
  object: SceneObject,
  size: ImageSize,
): { coords: number[]; num_points: number[]; is_closed: boolean } {
  if (!object.outline) throw new TypeError(`${object.category} has no outline`);
  const coords = object.outline.flatMap(([x, y]) => [unit(x / size.width), unit(y / size.height)]);
  return { coords, num_points: [object.outline.length], is_closed: true };
}

/** The outline rasterised (pixel-centre rule) and RLE-encoded as pycocotools would store it. */
export function maskFields(object: SceneObject, size: ImageSize): { size: number[]; counts: string } {
  if (!object.outline) throw new TypeError(`${object.category} has no outline`);
  const rle = polygonToRle(flat(object.outline), size.height, size.width, { normalized: false });
  return { size: [...rle.size], counts: rle.counts };
}

/** A person's joints in Pixano's `person` template order, normalised, all visible. */
export function keypointFields(
  object: SceneObject,
  size: ImageSize,
): { template_id: string; coords: number[]; states: string[] } {
  if (!object.joints) throw new TypeError(`${object.category} has no joints`);
  return {
    template_id: "person",
    coords: object.joints.flatMap(([x, y]) => [unit(x / size.width), unit(y / size.height)]),
    states: object.joints.map(() => "visible"),
  };
}

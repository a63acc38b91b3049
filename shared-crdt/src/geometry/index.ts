/**
 * Pure geometry for Pixano-compatible annotations: the COCO RLE mask codec, bbox and flat
 * coordinate helpers, polygon rasterisation and tracklet keyframe interpolation. No Yjs, no
 * I/O — shared verbatim by the server, the workers and the client.
 */
export { GeometryError } from "./GeometryError.js";
export type { GeometryErrorReason } from "./GeometryError.js";

export {
  countsToRuns,
  decodeMask,
  emptyRle,
  encodeMask,
  isValidRleString,
  maskToRuns,
  readRleSize,
  rleArea,
  rleRuns,
  rleToBbox,
  runsToCounts,
} from "./rle.js";
export type { CompressedRle, RleLike } from "./rle.js";

export { mergeRle, mergeRuns } from "./rleMerge.js";
export type { MaskMergeOp } from "./rleMerge.js";

export { polygonToMask, polygonToRle } from "./rasterize.js";
export type { PolygonRasterOptions } from "./rasterize.js";

export {
  bboxArea,
  bboxIou,
  clampBbox,
  convertBbox,
  denormalizeBbox,
  normalizeBbox,
  toBox,
  xywhToXyxy,
  xyxyToXywh,
} from "./bbox.js";
export type { BBoxFormat, Box } from "./bbox.js";

export {
  checkFlatCoords,
  denormalizeCoords,
  multiPathArea,
  normalizeCoords,
  pointInMultiPath,
  pointInPolygon,
  polygonArea,
  signedPolygonArea,
  splitMultiPath,
} from "./normalize.js";

export { interpolateBBox, interpolateKeypoints } from "./interpolate.js";
export type { BBoxKeyframe, InterpolatedKeypoints, KeypointsKeyframe } from "./interpolate.js";

export { checkTrackletRange, glueTrackletRanges, splitTrackletRange } from "./trackletRange.js";
export type { TrackletRange } from "./trackletRange.js";

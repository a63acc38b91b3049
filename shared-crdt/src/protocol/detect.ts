/**
 * Detection messages between the server and the inference worker (pre-annotation jobs): the
 * server sends a view resized so its longest side is the detector's input side; the worker
 * letterboxes it, runs the YOLO-family export, keeps the scores above the threshold, applies
 * per-class non-maximum suppression and answers boxes in the view's pixels.
 */
import { isImageInput, type ImageInput } from "./images.js";

/** A YOLO-family detector as the worker needs it (path absolute; from a validated manifest). */
export interface DetectorSpec {
  readonly name: string;
  readonly modelPath: string;
  /** The square input side (640 for the stock YOLOv8 exports). */
  readonly inputSize: number;
}

export interface DetectRequest {
  readonly type: "detect";
  readonly id: number;
  readonly model: DetectorSpec;
  /** The view's size [height, width]: boxes are answered in these pixels. */
  readonly viewSize: readonly [number, number];
  /** The view resized so its longest side is the input size, as pixels or as its file for the worker to decode. */
  readonly image: ImageInput;
  /** Scores below this are dropped (0..1). */
  readonly threshold: number;
  /** Boxes of one class overlapping more than this (IoU) with a better one are dropped. */
  readonly iou: number;
}

/** One detected object: an xywh box in view pixels, the class index and its score. */
export interface Detection {
  readonly box: readonly [number, number, number, number];
  readonly classIndex: number;
  readonly score: number;
}

export interface DetectReply {
  readonly type: "detected";
  readonly id: number;
  readonly detections: readonly Detection[];
  readonly ms: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isUnit = (v: unknown): v is number => isFiniteNumber(v) && v >= 0 && v <= 1;

export function isDetectRequest(v: Record<string, unknown>): v is DetectRequest & Record<string, unknown> {
  const m = v.model;
  return (
    v.type === "detect" &&
    typeof v.id === "number" &&
    isObject(m) &&
    typeof m.name === "string" &&
    typeof m.modelPath === "string" &&
    Number.isInteger(m.inputSize) &&
    (m.inputSize as number) > 0 &&
    Array.isArray(v.viewSize) &&
    v.viewSize.length === 2 &&
    v.viewSize.every((n) => Number.isInteger(n) && (n as number) > 0) &&
    isImageInput(v.image) &&
    isUnit(v.threshold) &&
    isUnit(v.iou)
  );
}

export function isDetectReply(v: Record<string, unknown>): v is DetectReply & Record<string, unknown> {
  return (
    v.type === "detected" &&
    typeof v.id === "number" &&
    isFiniteNumber(v.ms) &&
    Array.isArray(v.detections) &&
    v.detections.every(
      (d) =>
        isObject(d) &&
        Array.isArray(d.box) &&
        d.box.length === 4 &&
        d.box.every(isFiniteNumber) &&
        Number.isInteger(d.classIndex) &&
        isUnit(d.score),
    )
  );
}

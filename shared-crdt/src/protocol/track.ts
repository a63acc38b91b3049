/**
 * Tracking messages between the server and the inference worker (tracking assist on video). The
 * server reads each frame's file (sent to be decoded at most the job's working side, `images.ts`)
 * and keeps the run's state; the worker cuts the crops around the boxes, runs the single-object
 * tracker export (template + search → confidence, size and offset maps) and answers boxes in the
 * view's pixels. Two requests: `track_template` cuts the template crop once from the start frame,
 * `track_step` finds the object on one more frame. Both are stateless in the worker.
 */
import { isImageInput, isResizedImage, type ImageInput, type ResizedImage } from "./images.js";

/** A tracker export as the worker needs it (path absolute; from a validated manifest). */
export interface TrackerSpec {
  readonly name: string;
  readonly modelPath: string;
  /** Square sides of the `template` and `search` inputs (VitTrack: 128 and 256). */
  readonly templateSize: number;
  readonly searchSize: number;
  /** Crop sides as multiples of √(w·h) of the box (VitTrack: 2 and 4). */
  readonly templateFactor: number;
  readonly searchFactor: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly channelOrder: "RGB" | "BGR";
  /** Output names: confidence [1, 1, R, R], size [1, 2, R, R], offset [1, 2, R, R]. */
  readonly outputs: { readonly score: string; readonly size: string; readonly offset: string };
}

/** An xywh box in view pixels. */
export type TrackBox = readonly [number, number, number, number];

export interface TrackTemplateRequest {
  readonly type: "track_template";
  readonly id: number;
  readonly model: TrackerSpec;
  /** The view's size [height, width]: `box` is in these pixels, `image` is the view resized. */
  readonly viewSize: readonly [number, number];
  readonly image: ImageInput;
  readonly box: TrackBox;
}

export interface TrackTemplateReply {
  readonly type: "track_template";
  readonly id: number;
  /** The template crop (templateSize × templateSize RGB), sent back with every step. */
  readonly template: ResizedImage;
}

export interface TrackStepRequest {
  readonly type: "track_step";
  readonly id: number;
  readonly model: TrackerSpec;
  readonly viewSize: readonly [number, number];
  readonly image: ImageInput;
  /** The object's box on the previous frame (view pixels): the search crop is cut around it. */
  readonly box: TrackBox;
  readonly template: ResizedImage;
}

export interface TrackStepReply {
  readonly type: "tracked";
  readonly id: number;
  /** The object's box on this frame, view pixels (clipped to the view). */
  readonly box: TrackBox;
  /** The confidence at the chosen cell after the motion (Hann) window, 0..1. */
  readonly score: number;
  readonly ms: number;
}

export type TrackRequest = TrackTemplateRequest | TrackStepRequest;
export type TrackReply = TrackTemplateReply | TrackStepReply;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isSide = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 4096;
const isTriple = (v: unknown): boolean => Array.isArray(v) && v.length === 3 && v.every(isFiniteNumber);

function isSpec(v: unknown): v is TrackerSpec {
  if (!isObject(v) || !isObject(v.outputs)) return false;
  const o = v.outputs;
  return (
    typeof v.name === "string" &&
    typeof v.modelPath === "string" &&
    isSide(v.templateSize) &&
    isSide(v.searchSize) &&
    isFiniteNumber(v.templateFactor) &&
    v.templateFactor > 0 &&
    isFiniteNumber(v.searchFactor) &&
    v.searchFactor > 0 &&
    isTriple(v.mean) &&
    isTriple(v.std) &&
    (v.channelOrder === "RGB" || v.channelOrder === "BGR") &&
    typeof o.score === "string" &&
    typeof o.size === "string" &&
    typeof o.offset === "string"
  );
}

/** A box with a positive size. */
function isBox(v: unknown): v is TrackBox {
  if (!Array.isArray(v) || v.length !== 4 || !v.every(isFiniteNumber)) return false;
  const [, , w = 0, h = 0] = v as number[];
  return w > 0 && h > 0;
}

function isViewSize(v: unknown): boolean {
  return Array.isArray(v) && v.length === 2 && v.every((n) => Number.isInteger(n) && (n as number) > 0);
}

export function isTrackRequest(v: Record<string, unknown>): v is TrackRequest & Record<string, unknown> {
  if (v.type !== "track_template" && v.type !== "track_step") return false;
  const common =
    typeof v.id === "number" && isSpec(v.model) && isViewSize(v.viewSize) && isImageInput(v.image) && isBox(v.box);
  return v.type === "track_template" ? common : common && isResizedImage(v.template);
}

export function isTrackReply(v: Record<string, unknown>): v is TrackReply & Record<string, unknown> {
  if (typeof v.id !== "number") return false;
  if (v.type === "track_template") return isResizedImage(v.template);
  return (
    v.type === "tracked" &&
    isBox(v.box) &&
    isFiniteNumber(v.score) &&
    v.score >= 0 &&
    v.score <= 1 &&
    isFiniteNumber(v.ms)
  );
}

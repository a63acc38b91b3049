/**
 * Messages between the server and the inference worker (a child process over its IPC channel,
 * with the `advanced` serialization so pixels travel as bytes). The server validates the model
 * manifest and says what size the view's image is sent at (decoded, or as its file for the worker
 * to decode: `images.ts`); the worker owns the ONNX sessions and the
 * embedding caches. Both ends check what they receive: {@link isInferenceRequest} in the worker,
 * {@link isInferenceReply} in the server.
 */
import { isEmbedReply, isEmbedRequest, type EmbedReply, type EmbedRequest } from "./inferenceEmbed.js";
import { isDetectReply, isDetectRequest, type DetectReply, type DetectRequest } from "./detect.js";
import { isTrackReply, isTrackRequest, type TrackReply, type TrackRequest } from "./track.js";
import { isImageInput, type ImageInput } from "./images.js";

/** A segmentation model as the worker needs it (paths absolute; from a validated manifest). */
export interface SamModelSpec {
  readonly name: string;
  readonly encoderPath: string;
  readonly decoderPath: string;
  /** The encoder's square input side (1024 for SAM/MobileSAM). */
  readonly inputSize: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly channelOrder: "RGB" | "BGR";
}

/** Prompt points and box in the view's pixels; labels 1 = positive, 0 = negative. */
export interface SegmentPrompt {
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly labels: readonly number[];
  readonly box: readonly [number, number, number, number] | null;
}

export type InferenceRequest =
  | EmbedRequest
  | {
      readonly type: "segment";
      readonly id: number;
      readonly model: SamModelSpec;
      /** Identifies the view's pixels (dataset, view id and the file's size/mtime): the embedding cache key. */
      readonly viewKey: string;
      /** The view's size [height, width]: the returned mask's size. */
      readonly viewSize: readonly [number, number];
      /**
       * Sent after the worker answered `need_image` (no cached embedding): the view resized so its longest side is
       * the model's input size, as pixels or as a file the worker decodes to that size.
       */
      readonly image: ImageInput | null;
      /** null: only make sure the view's embedding is computed (Pixano's UI asks first with no prompt). */
      readonly prompt: SegmentPrompt | null;
    }
  | { readonly type: "stats"; readonly id: number }
  | DetectRequest
  | TrackRequest
  | { readonly type: "shutdown" };

/** Where a segmentation's image embedding came from. */
export type EmbeddingSource = "memory" | "disk" | "computed";

export interface InferenceStats {
  readonly encoderRuns: number;
  readonly decoderRuns: number;
  readonly memoryBytes: number;
  readonly memoryEntries: number;
  readonly diskBytes: number;
}

export type InferenceReply =
  | EmbedReply
  | { readonly type: "ready"; readonly providers: readonly string[] }
  | {
      readonly type: "segmented";
      readonly id: number;
      readonly mask: { readonly size: [number, number]; readonly counts: string };
      readonly score: number;
      readonly embedding: EmbeddingSource;
      readonly encoderMs: number;
      readonly decoderMs: number;
    }
  | { readonly type: "need_image"; readonly id: number }
  /** The answer to a `segment` with no prompt: the embedding is ready. */
  | { readonly type: "embedded"; readonly id: number; readonly embedding: EmbeddingSource; readonly encoderMs: number }
  | { readonly type: "stats"; readonly id: number; readonly stats: InferenceStats }
  | DetectReply
  | TrackReply
  | {
      readonly type: "failed";
      readonly id: number;
      readonly error: string;
      /** `bad_image`: a picture sent as a file could not be decoded (not the model's failure). */
      readonly reason?: "bad_image";
    };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isTriple = (v: unknown): boolean => Array.isArray(v) && v.length === 3 && v.every(isFiniteNumber);

function isModelSpec(v: unknown): v is SamModelSpec {
  if (!isObject(v)) return false;
  return (
    typeof v.name === "string" &&
    typeof v.encoderPath === "string" &&
    typeof v.decoderPath === "string" &&
    Number.isInteger(v.inputSize) &&
    (v.inputSize as number) > 0 &&
    isTriple(v.mean) &&
    isTriple(v.std) &&
    (v.channelOrder === "RGB" || v.channelOrder === "BGR")
  );
}

function isPrompt(v: unknown): v is SegmentPrompt {
  if (!isObject(v) || !Array.isArray(v.points) || !Array.isArray(v.labels)) return false;
  if (v.points.length !== v.labels.length || !v.labels.every(isFiniteNumber)) return false;
  if (!v.points.every((p) => Array.isArray(p) && p.length === 2 && p.every(isFiniteNumber))) return false;
  return v.box === null || (Array.isArray(v.box) && v.box.length === 4 && v.box.every(isFiniteNumber));
}

export function isInferenceRequest(v: unknown): v is InferenceRequest {
  if (!isObject(v)) return false;
  if (v.type === "shutdown") return true;
  if (typeof v.id !== "number") return false;
  if (v.type === "stats") return true;
  if (v.type === "embed_images" || v.type === "embed_texts") return isEmbedRequest(v);
  if (v.type === "detect") return isDetectRequest(v);
  if (v.type === "track_template" || v.type === "track_step") return isTrackRequest(v);
  return (
    v.type === "segment" &&
    isModelSpec(v.model) &&
    typeof v.viewKey === "string" &&
    Array.isArray(v.viewSize) &&
    v.viewSize.length === 2 &&
    v.viewSize.every((n) => Number.isInteger(n) && (n as number) > 0) &&
    (v.image === null || isImageInput(v.image)) &&
    (v.prompt === null || isPrompt(v.prompt))
  );
}

export function isInferenceReply(v: unknown): v is InferenceReply {
  if (!isObject(v)) return false;
  if (v.type === "ready") return Array.isArray(v.providers);
  if (typeof v.id !== "number") return false;
  switch (v.type) {
    case "segmented":
      return isObject(v.mask) && typeof v.mask.counts === "string" && isFiniteNumber(v.score);
    case "need_image":
      return true;
    case "embedded":
      return typeof v.embedding === "string" && isFiniteNumber(v.encoderMs);
    case "stats":
      return isObject(v.stats);
    case "failed":
      return typeof v.error === "string" && (v.reason === undefined || v.reason === "bad_image");
    case "embedded_vectors":
      return isEmbedReply(v);
    case "detected":
      return isDetectReply(v);
    case "track_template":
    case "tracked":
      return isTrackReply(v);
    default:
      return false;
  }
}

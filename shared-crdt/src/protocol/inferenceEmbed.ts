/**
 * Semantic-search messages between the server and the inference worker: vectors for a batch of
 * images (already resized and centre-cropped to the model's square input by the server) or for a
 * batch of texts (tokenised in the worker, by the tokenizer the manifest names). Part of the
 * {@link InferenceRequest}/{@link InferenceReply} unions; checked by the guards below.
 */
import { isResizedImage, type ResizedImage } from "./images.js";

/** A CLIP-style embedding model as the worker needs it (paths absolute; from a validated manifest). */
export interface ClipModelSpec {
  readonly name: string;
  /** `pixel_values` [B, 3, S, S] → `image_embeds` [B, D]. */
  readonly imagePath: string;
  /** `input_ids` (+ `attention_mask`) [B, L] int64 → `text_embeds` [B, D]; null: no text encoder. */
  readonly textPath: string | null;
  readonly inputSize: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /**
   * `clip-bpe` (CLIP's byte-level BPE; `file` the vocabulary — OpenAI's merges file, a Hugging Face
   * `tokenizer.json`, or a `vocab.json` with `merges` its `merges.txt`, absolute paths) or
   * `tessera-words` (the tiny test models' word table, `vocab`); other kinds are refused by the worker.
   */
  readonly tokenizer: {
    readonly kind: string;
    readonly vocab: readonly string[];
    readonly maxLength: number;
    readonly file?: string;
    readonly merges?: string;
  } | null;
}

export type EmbedRequest =
  | {
      readonly type: "embed_images";
      readonly id: number;
      readonly model: ClipModelSpec;
      readonly images: readonly ResizedImage[];
    }
  | {
      readonly type: "embed_texts";
      readonly id: number;
      readonly model: ClipModelSpec;
      readonly texts: readonly string[];
    };

/** One vector per input, in order (each of the model's dimension). */
export type EmbedReply = {
  readonly type: "embedded_vectors";
  readonly id: number;
  readonly vectors: readonly Float32Array[];
  readonly ms: number;
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isTriple = (v: unknown): boolean => Array.isArray(v) && v.length === 3 && v.every(isFiniteNumber);

function isClipSpec(v: unknown): v is ClipModelSpec {
  if (!isObject(v)) return false;
  const t = v.tokenizer;
  const tokenizerOk =
    t === null ||
    (isObject(t) &&
      typeof t.kind === "string" &&
      Array.isArray(t.vocab) &&
      t.vocab.every((w) => typeof w === "string") &&
      Number.isInteger(t.maxLength) &&
      (t.maxLength as number) > 0 &&
      (t.file === undefined || typeof t.file === "string") &&
      (t.merges === undefined || typeof t.merges === "string"));
  return (
    typeof v.name === "string" &&
    typeof v.imagePath === "string" &&
    (v.textPath === null || typeof v.textPath === "string") &&
    Number.isInteger(v.inputSize) &&
    (v.inputSize as number) > 0 &&
    isTriple(v.mean) &&
    isTriple(v.std) &&
    tokenizerOk
  );
}

function isSquareImage(v: unknown, side: number): boolean {
  return isResizedImage(v) && v.width === side && v.height === side;
}

/** An `embed_images`/`embed_texts` request (the `type` already matched one of them). */
export function isEmbedRequest(v: Record<string, unknown>): boolean {
  if (!isClipSpec(v.model)) return false;
  const side = v.model.inputSize;
  if (v.type === "embed_images")
    return Array.isArray(v.images) && v.images.length > 0 && v.images.every((i) => isSquareImage(i, side));
  if (v.type === "embed_texts")
    return Array.isArray(v.texts) && v.texts.length > 0 && v.texts.every((s) => typeof s === "string");
  return false;
}

export function isEmbedReply(v: Record<string, unknown>): boolean {
  return Array.isArray(v.vectors) && v.vectors.every((x) => x instanceof Float32Array) && isFiniteNumber(v.ms);
}

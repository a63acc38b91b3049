import * as ort from "onnxruntime-node";
import type { ClipModelSpec, EmbedReply, EmbedRequest, ResizedImage } from "@tessera/shared-crdt";
import type { SessionPool } from "../sam.js";
import { ClipError } from "./ClipError.js";
import { tokenize } from "./tokenizer.js";

/**
 * CLIP-family embeddings on onnxruntime (the Hugging Face exports of
 * `CLIPVisionModelWithProjection` / `CLIPTextModelWithProjection`, and their tiny test twins):
 *
 * - image: `pixel_values` float32 [B, 3, S, S] — the server resized and centre-cropped each image to
 *   S × S; here it is normalised with the manifest's mean/std, channels first — → `image_embeds` [B, D];
 * - text: `input_ids` int64 [B, L] and, when the graph takes it, `attention_mask` int64 [B, L] →
 *   `text_embeds` [B, D].
 *
 * Vectors are returned L2-normalised (cosine distance is what the search ranks by).
 */

function pixelValues(images: readonly ResizedImage[], spec: ClipModelSpec): Float32Array {
  const s = spec.inputSize;
  const plane = s * s;
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((image, b) => {
    if (image.width !== s || image.height !== s)
      throw new ClipError(`image ${image.width}×${image.height} is not the model's ${s}×${s} input`);
    for (let c = 0; c < 3; c++) {
      const mean = spec.mean[c] ?? 0;
      const std = spec.std[c] ?? 1;
      const base = (b * 3 + c) * plane;
      for (let i = 0; i < plane; i++) out[base + i] = ((image.rgb[i * 3 + c] ?? 0) - mean) / std;
    }
  });
  return out;
}

function rowsOf(tensor: ort.Tensor | undefined, count: number, output: string): Float32Array[] {
  if (!tensor || tensor.type !== "float32" || tensor.dims.length !== 2 || tensor.dims[0] !== count)
    throw new ClipError(`the model's '${output}' output is not float32 [${count}, D]`);
  const dim = tensor.dims[1] ?? 0;
  if (dim < 1) throw new ClipError(`the model's '${output}' output has no dimension`);
  const data = tensor.data as Float32Array;
  const rows: Float32Array[] = [];
  for (let b = 0; b < count; b++) {
    const row = Float32Array.from(data.subarray(b * dim, (b + 1) * dim));
    let norm = 0;
    for (const x of row) norm += x * x;
    norm = Math.sqrt(norm);
    if (!Number.isFinite(norm) || norm === 0) throw new ClipError(`the model gave a zero or non-finite vector`);
    for (let i = 0; i < dim; i++) row[i] = (row[i] ?? 0) / norm;
    rows.push(row);
  }
  return rows;
}

async function embedImages(pool: SessionPool, spec: ClipModelSpec, images: readonly ResizedImage[]) {
  const session = await pool.get(spec.imagePath);
  const s = spec.inputSize;
  const input = new ort.Tensor("float32", pixelValues(images, spec), [images.length, 3, s, s]);
  const out = await session.run({ pixel_values: input });
  return rowsOf(out.image_embeds, images.length, "image_embeds");
}

async function embedTexts(pool: SessionPool, spec: ClipModelSpec, texts: readonly string[]) {
  if (spec.textPath === null || spec.tokenizer === null)
    throw new ClipError(`model '${spec.name}' has no text encoder (files.text and tokenizer in its manifest)`);
  const session = await pool.get(spec.textPath);
  const { ids, mask, length } = tokenize(spec.tokenizer, texts);
  const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor("int64", ids, [texts.length, length]) };
  if (session.inputNames.includes("attention_mask"))
    feeds.attention_mask = new ort.Tensor("int64", mask, [texts.length, length]);
  const out = await session.run(feeds);
  return rowsOf(out.text_embeds, texts.length, "text_embeds");
}

/** Answers an `embed_images`/`embed_texts` request. */
export async function embed(pool: SessionPool, m: EmbedRequest): Promise<EmbedReply> {
  const started = performance.now();
  const vectors =
    m.type === "embed_images" ? await embedImages(pool, m.model, m.images) : await embedTexts(pool, m.model, m.texts);
  return { type: "embedded_vectors", id: m.id, vectors, ms: performance.now() - started };
}

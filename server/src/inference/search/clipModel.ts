import path from "node:path";
import { Value } from "@sinclair/typebox/value";
import type { ClipModelSpec } from "@tessera/shared-crdt";
import { squareInputSize } from "../manifest.js";
import type { RegisteredModel } from "../registry.js";
import { TokenizerManifest } from "../tokenizerManifest.js";
import { SearchError } from "./SearchError.js";

/**
 * A CLIP-family model's manifest (`task: "embedding-image"`): `files.model` is the image encoder,
 * `files.text` the text encoder (optional: without it only "more like this" works), `input_size`
 * the square side, `normalization` CLIP's mean/std (pixel scale 0–255) and `tokenizer`
 * (`{kind: "clip-bpe", file, max_length}` for real CLIP models, `{kind: "tessera-words", vocab,
 * max_length}` for the tiny test models; see {@link TokenizerManifest}).
 */

/** CLIP's own normalisation, used when the manifest names none. */
const CLIP_MEAN: [number, number, number] = [122.770938, 116.7460125, 104.09373615];
const CLIP_STD: [number, number, number] = [68.5005327, 66.6321579, 70.32316305];

export function clipSpec(model: RegisteredModel): ClipModelSpec {
  const m = model.manifest;
  const image = m.files.model;
  if (m.task !== "embedding-image" || image === undefined)
    throw new SearchError(422, `Model '${model.name}' is a ${m.task} model, not an image embedding (CLIP) model.`);
  const raw = (m as Record<string, unknown>).tokenizer;
  const tokenizer = Value.Check(TokenizerManifest, raw)
    ? {
        kind: raw.kind,
        vocab: raw.vocab ?? [],
        maxLength: raw.max_length,
        ...(raw.file === undefined ? {} : { file: path.join(model.dir, raw.file) }),
        ...(raw.merges === undefined ? {} : { merges: path.join(model.dir, raw.merges) }),
      }
    : null;
  const text = m.files.text;
  const norm = m.normalization;
  return {
    name: model.name,
    imagePath: path.join(model.dir, image),
    textPath: text === undefined ? null : path.join(model.dir, text),
    inputSize: squareInputSize({ ...m, input_size: m.input_size ?? 224 }),
    mean: norm ? [norm.mean[0], norm.mean[1], norm.mean[2]] : CLIP_MEAN,
    std: norm ? [norm.std[0], norm.std[1], norm.std[2]] : CLIP_STD,
    tokenizer,
  };
}

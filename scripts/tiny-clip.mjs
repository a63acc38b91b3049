#!/usr/bin/env node
/**
 * Writes a tiny CLIP-style image + text encoder pair (`image.onnx`, `text.onnx`, `manifest.json`)
 * into a folder: `node scripts/tiny-clip.mjs <dir> [name]`. Tests and the search benchmark use it:
 * nothing is downloaded at run time.
 *
 * The graphs have the input/output names, ranks and dtypes of the real CLIP ONNX exports
 * (Hugging Face `CLIPVisionModelWithProjection` / `CLIPTextModelWithProjection`), with tiny sizes
 * (input 32×32, vectors of {@link DIM}) and a behaviour a test can check:
 *
 * - image: `pixel_values` float32 [B, 3, 32, 32] (CLIP-normalised) → `image_embeds` float32 [B, 12]:
 *   the mean normalised colour of each 16×16 quadrant (3 channels × 4 quadrants), L2-normalised.
 *   Similar images give similar vectors; a re-encoded or slightly noisy copy gives nearly the same.
 * - text: `input_ids` int64 [B, L] and `attention_mask` int64 [B, L] → `text_embeds` float32 [B, 12]:
 *   the sum of the masked tokens' rows of a fixed table, L2-normalised. The row of a colour word is
 *   the image vector of a uniform image of that colour, so "red" lands next to red images.
 *
 * Tokenizer (`tokenizer.kind: "tessera-words"` in the manifest): lower-case the text, split it on
 * anything that is not a letter, map each word to its index in `tokenizer.vocab` (unknown words → 1,
 * `<unk>`; 0 is `<pad>`), keep the first `max_length` tokens, pad with 0; the attention mask is 1 on
 * the tokens.
 *
 * `--clip-bpe VOCAB` (OpenAI's `bpe_simple_vocab_16e6.txt.gz`, e.g. fixtures/clip-bpe/) makes the text
 * tower a real CLIP text tower's shape instead: its table has CLIP's 49 408 rows (the colour rows at
 * the ids of the colour words' `</w>` tokens, every other token — `<|startoftext|>`, `<|endoftext|>`,
 * "a", "picture" … — a zero row), the vocabulary file is copied next to it, and the manifest names
 * `tokenizer: {kind: "clip-bpe", file, max_length: 77}`: what a real CLIP export's manifest says.
 */
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  encodeModel,
  FLOAT,
  floatTensor,
  INT64,
  int64Tensor,
  intAttr,
  intsAttr,
  isMain,
  node,
  valueInfo,
  writeModelDir,
} from "./onnxGraph.mjs";

export const INPUT_SIZE = 32;
export const DIM = 12;
export const MAX_LENGTH = 16;
/** CLIP's own normalisation (pixel scale 0–255). */
export const MEAN = [0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255];
export const STD = [0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255];

/** Colour words and their RGB. */
export const COLOURS = {
  red: [255, 0, 0],
  green: [0, 255, 0],
  blue: [0, 0, 255],
  yellow: [255, 255, 0],
  cyan: [0, 255, 255],
  magenta: [255, 0, 255],
  white: [255, 255, 255],
  black: [0, 0, 0],
  orange: [255, 128, 0],
  purple: [128, 0, 128],
  gray: [128, 128, 128],
};

export const VOCAB = ["<pad>", "<unk>", ...Object.keys(COLOURS)];

/** CLIP's vocabulary size and context length. */
export const CLIP_VOCAB_SIZE = 49408;
export const CLIP_CONTEXT = 77;

/**
 * Each colour word's id in CLIP's vocabulary (the words that are one token: not "cyan"), read from OpenAI's merges file the way CLIP numbers
 * its tokens (256 byte characters, the same with `</w>`, then one id per merge in order).
 */
export function clipColourIds(vocabFile) {
  const data = readFileSync(vocabFile);
  const lines = (vocabFile.endsWith(".gz") ? gunzipSync(data) : data).toString("utf8").split("\n");
  const merges = lines.slice(1, CLIP_VOCAB_SIZE - 512 - 2 + 1);
  const ids = {};
  merges.forEach((line, i) => {
    const token = line.split(/\s+/).join("");
    for (const word of Object.keys(COLOURS)) if (token === `${word}</w>`) ids[word] = 512 + i;
  });
  if (Object.keys(ids).length === 0) throw new Error(`${vocabFile}: no colour word is a single CLIP token`);
  return ids;
}

const model = (graph) => encodeModel("tessera-tiny-clip", graph);

/** The image vector (before L2 normalisation) of a uniform image of colour `rgb`. */
export function uniformVector(rgb) {
  const out = [];
  for (let c = 0; c < 3; c++) for (let q = 0; q < 4; q++) out.push((rgb[c] - MEAN[c]) / STD[c]);
  return out;
}

export function imageModel() {
  const half = INPUT_SIZE / 2;
  return model({
    name: "tiny_clip_image",
    input: [valueInfo("pixel_values", FLOAT, ["batch", 3, INPUT_SIZE, INPUT_SIZE])],
    output: [valueInfo("image_embeds", FLOAT, ["batch", DIM])],
    initializer: [int64Tensor("flat", [2], [-1, DIM])],
    node: [
      node(
        "AveragePool",
        ["pixel_values"],
        ["pooled"],
        [intsAttr("kernel_shape", [half, half]), intsAttr("strides", [half, half])],
      ),
      node("Reshape", ["pooled", "flat"], ["raw"]),
      node("LpNormalization", ["raw"], ["image_embeds"], [intAttr("axis", 1), intAttr("p", 2)]),
    ],
  });
}

/** The text tower; with `colourIds` (word → CLIP id) its table has CLIP's 49 408 rows. */
export function textModel(colourIds = null) {
  const rows = colourIds === null ? VOCAB.length : CLIP_VOCAB_SIZE;
  const table = new Array(rows * DIM).fill(0);
  for (const [word, rgb] of Object.entries(COLOURS)) {
    const row = colourIds === null ? VOCAB.indexOf(word) : colourIds[word];
    if (row === undefined) continue;
    uniformVector(rgb).forEach((v, i) => (table[row * DIM + i] = v));
  }
  return model({
    name: "tiny_clip_text",
    input: [
      valueInfo("input_ids", INT64, ["batch", "sequence"]),
      valueInfo("attention_mask", INT64, ["batch", "sequence"]),
    ],
    output: [valueInfo("text_embeds", FLOAT, ["batch", DIM])],
    initializer: [
      floatTensor("table", [rows, DIM], table),
      floatTensor("eps", [DIM], new Array(DIM).fill(1e-6)),
      int64Tensor("ax1", [1], [1]),
      int64Tensor("ax2", [1], [2]),
    ],
    node: [
      node("Gather", ["table", "input_ids"], ["rows"], [intAttr("axis", 0)]),
      node("Cast", ["attention_mask"], ["maskf"], [intAttr("to", FLOAT)]),
      node("Unsqueeze", ["maskf", "ax2"], ["mask3"]),
      node("Mul", ["rows", "mask3"], ["kept"]),
      node("ReduceSum", ["kept", "ax1"], ["summed"], [intAttr("keepdims", 0)]),
      node("Add", ["summed", "eps"], ["nonzero"]),
      node("LpNormalization", ["nonzero"], ["text_embeds"], [intAttr("axis", 1), intAttr("p", 2)]),
    ],
  });
}

export function manifest(name = "tiny-clip", clipVocabFile = null) {
  return {
    name,
    task: "embedding-image",
    architecture: "clip",
    files: { model: "image.onnx", text: "text.onnx" },
    input_size: INPUT_SIZE,
    normalization: { mean: MEAN, std: STD, channel_order: "RGB" },
    tokenizer:
      clipVocabFile === null
        ? { kind: "tessera-words", vocab: VOCAB, max_length: MAX_LENGTH }
        : { kind: "clip-bpe", file: clipVocabFile, max_length: CLIP_CONTEXT },
    labels: [],
    license: "Apache-2.0",
    source: "generated by scripts/tiny-clip.mjs (Tessera test fixture)",
  };
}

/**
 * Writes the pair and its manifest into `dir` (created if needed); returns `dir`. With
 * `clipBpeVocab` (a path to OpenAI's merges file) the text tower takes CLIP BPE ids (see above).
 */
export function writeTinyClip(dir, name = "tiny-clip", clipBpeVocab = null) {
  mkdirSync(dir, { recursive: true });
  const vocabName = clipBpeVocab === null ? null : basename(clipBpeVocab);
  if (clipBpeVocab !== null) copyFileSync(clipBpeVocab, join(dir, vocabName));
  const text = () => textModel(clipBpeVocab === null ? null : clipColourIds(clipBpeVocab));
  return writeModelDir(dir, { "image.onnx": imageModel, "text.onnx": text }, manifest(name, vocabName));
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = args.indexOf("--clip-bpe");
  const vocab = flag === -1 ? null : args[flag + 1];
  if (flag !== -1) args.splice(flag, 2);
  const [dir, name] = args;
  if (!dir || vocab === undefined) {
    process.stderr.write("usage: node scripts/tiny-clip.mjs <dir> [name] [--clip-bpe bpe_simple_vocab_16e6.txt.gz]\n");
    process.exit(2);
  }
  writeTinyClip(resolve(dir), name, vocab === null ? null : resolve(vocab));
}

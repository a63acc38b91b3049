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
 * the tokens. Real CLIP models use CLIP's byte-level BPE instead (see docs/models.md).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

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

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const OPSET = 17;

function valueInfo(name, elemType, dims) {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const floatTensor = (name, dims, values) => ({ name, dims, dataType: FLOAT, floatData: values });
const int64Tensor = (name, dims, values) => ({ name, dims, dataType: INT64, int64Data: values });
const node = (opType, inputs, outputs, attribute = []) => ({
  opType,
  input: inputs,
  output: outputs,
  name: `${opType}_${outputs[0]}`,
  attribute,
});
const intAttr = (name, i) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const intsAttr = (name, ints) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });

function model(graph) {
  const proto = onnx.ModelProto.fromObject({
    irVersion: 8,
    producerName: "tessera-tiny-clip",
    opsetImport: [{ domain: "", version: OPSET }],
    graph,
  });
  return onnx.ModelProto.encode(proto).finish();
}

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

export function textModel() {
  const table = [];
  for (const word of VOCAB) {
    const rgb = COLOURS[word];
    table.push(...(rgb ? uniformVector(rgb) : new Array(DIM).fill(0)));
  }
  return model({
    name: "tiny_clip_text",
    input: [
      valueInfo("input_ids", INT64, ["batch", "sequence"]),
      valueInfo("attention_mask", INT64, ["batch", "sequence"]),
    ],
    output: [valueInfo("text_embeds", FLOAT, ["batch", DIM])],
    initializer: [
      floatTensor("table", [VOCAB.length, DIM], table),
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

export function manifest(name = "tiny-clip") {
  return {
    name,
    task: "embedding-image",
    architecture: "clip",
    files: { model: "image.onnx", text: "text.onnx" },
    input_size: INPUT_SIZE,
    normalization: { mean: MEAN, std: STD, channel_order: "RGB" },
    tokenizer: { kind: "tessera-words", vocab: VOCAB, max_length: MAX_LENGTH },
    labels: [],
    license: "Apache-2.0",
    source: "generated by scripts/tiny-clip.mjs (Tessera test fixture)",
  };
}

/** Writes the pair and its manifest into `dir` (created if needed); returns `dir`. */
export function writeTinyClip(dir, name = "tiny-clip") {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "image.onnx"), imageModel());
  writeFileSync(join(dir, "text.onnx"), textModel());
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest(name), null, 2)}\n`);
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: node scripts/tiny-clip.mjs <dir> [name]\n");
    process.exit(2);
  }
  writeTinyClip(resolve(dir), process.argv[3]);
}

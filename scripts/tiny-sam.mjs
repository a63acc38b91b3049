#!/usr/bin/env node
/**
 * Writes a tiny SAM-style model pair (`encoder.onnx`, `decoder.onnx`, `manifest.json`) into a
 * folder: `node scripts/tiny-sam.mjs <dir>`. Tests, the end-to-end checks and the inference
 * benchmark use it: nothing is downloaded at run time.
 *
 * The graphs have the input/output names, ranks and dtypes of the real Segment Anything /
 * MobileSAM ONNX exports, with tiny sizes (input 64×64, embedding [1, 8, 4, 4], low-res masks
 * 16×16) and a behaviour a test can check:
 *
 * - encoder: `image` float32 [1, 3, 64, 64] → `image_embeddings` float32 [1, 8, 4, 4]
 *   (16×16 average pooling then a fixed 1×1 convolution);
 * - decoder: `image_embeddings`, `point_coords` float32 [1, N, 2] (input-frame pixels),
 *   `point_labels` float32 [1, N], `mask_input` float32 [1, 1, 16, 16], `has_mask_input`
 *   float32 [1], `orig_im_size` float32 [2] (height, width) → `masks` float32 [1, 1, H, W] (logits
 *   at the original size), `iou_predictions` float32 [1, 1], `low_res_masks` float32 [1, 1, 16, 16].
 *   The mask is a disc of radius {@link RADIUS} input pixels (RADIUS · max(H, W) / 64 original
 *   pixels) around the mean of the prompt points whose label is ≥ 1 (positive points and both box
 *   corners, so a box gives a disc at its centre); `iou_predictions` is 0.875.
 */
import { resolve } from "node:path";
import {
  encodeModel,
  FLOAT,
  floatTensor,
  int64Tensor,
  intAttr,
  intsAttr,
  isMain,
  node,
  valueInfo,
  writeModelDir,
} from "./onnxGraph.mjs";

export const INPUT_SIZE = 64;
export const EMBED_CHANNELS = 8;
export const EMBED_SIZE = INPUT_SIZE / 16;
export const LOW_RES = INPUT_SIZE / 4;
export const RADIUS = 12;
export const IOU = 0.875;

const model = (graph) => encodeModel("tessera-tiny-sam", graph);

export function encoderModel() {
  const weights = [];
  for (let c = 0; c < EMBED_CHANNELS; c++) for (let k = 0; k < 3; k++) weights.push(((c + 1) * (k + 2)) / 10);
  return model({
    name: "tiny_sam_encoder",
    input: [valueInfo("image", FLOAT, [1, 3, INPUT_SIZE, INPUT_SIZE])],
    output: [valueInfo("image_embeddings", FLOAT, [1, EMBED_CHANNELS, EMBED_SIZE, EMBED_SIZE])],
    initializer: [floatTensor("w", [EMBED_CHANNELS, 3, 1, 1], weights)],
    node: [
      node("AveragePool", ["image"], ["pooled"], [intsAttr("kernel_shape", [16, 16]), intsAttr("strides", [16, 16])]),
      node("Conv", ["pooled", "w"], ["image_embeddings"]),
    ],
  });
}

export function decoderModel() {
  const grid = [];
  for (let i = 0; i < LOW_RES; i++) grid.push((i + 0.5) * (INPUT_SIZE / LOW_RES));
  return model({
    name: "tiny_sam_decoder",
    input: [
      valueInfo("image_embeddings", FLOAT, [1, EMBED_CHANNELS, EMBED_SIZE, EMBED_SIZE]),
      valueInfo("point_coords", FLOAT, [1, "num_points", 2]),
      valueInfo("point_labels", FLOAT, [1, "num_points"]),
      valueInfo("mask_input", FLOAT, [1, 1, LOW_RES, LOW_RES]),
      valueInfo("has_mask_input", FLOAT, [1]),
      valueInfo("orig_im_size", FLOAT, [2]),
    ],
    output: [
      valueInfo("masks", FLOAT, [1, 1, "height", "width"]),
      valueInfo("iou_predictions", FLOAT, [1, 1]),
      valueInfo("low_res_masks", FLOAT, [1, 1, LOW_RES, LOW_RES]),
    ],
    initializer: [
      floatTensor("half", [], [0.5]),
      floatTensor("zero", [], [0]),
      floatTensor("one", [], [1]),
      floatTensor("eps", [], [1e-6]),
      floatTensor("r2", [], [RADIUS * RADIUS]),
      floatTensor("iou", [], [IOU]),
      floatTensor("size", [], [INPUT_SIZE]),
      int64Tensor("ax1", [1], [1]),
      int64Tensor("ax2", [1], [2]),
      int64Tensor("i0", [], [0]),
      int64Tensor("i1", [], [1]),
      int64Tensor("s0", [1], [0]),
      int64Tensor("s1", [1], [1]),
      int64Tensor("s2", [1], [2]),
      int64Tensor("shape11", [2], [1, 1]),
      int64Tensor("shape1111", [4], [1, 1, 1, 1]),
      int64Tensor("shapeRow", [4], [1, 1, 1, -1]),
      int64Tensor("shapeCol", [4], [1, 1, -1, 1]),
      floatTensor("gx", [1, 1, 1, LOW_RES], grid),
      floatTensor("gy", [1, 1, LOW_RES, 1], grid),
    ],
    node: [
      // Centre: mean of the points labelled ≥ 1 (positive points, box corners).
      node("Greater", ["point_labels", "half"], ["pos"]),
      node("Cast", ["pos"], ["w"], [intAttr("to", FLOAT)]),
      node("Unsqueeze", ["w", "ax2"], ["w3"]),
      node("Mul", ["point_coords", "w3"], ["wp"]),
      node("ReduceSum", ["wp", "ax1"], ["sp"], [intAttr("keepdims", 0)]),
      node("ReduceSum", ["w", "ax1"], ["sw"], [intAttr("keepdims", 1)]),
      node("Add", ["sw", "eps"], ["swe"]),
      node("Div", ["sp", "swe"], ["centre"]),
      node("Slice", ["centre", "s0", "s1", "ax1"], ["cx2"]),
      node("Slice", ["centre", "s1", "s2", "ax1"], ["cy2"]),
      node("Reshape", ["cx2", "shape1111"], ["cx"]),
      node("Reshape", ["cy2", "shape1111"], ["cy"]),
      // The original-size grid in input-frame pixels: (i + 0.5) · 64 / max(H, W).
      node("Gather", ["orig_im_size", "i0"], ["h"], [intAttr("axis", 0)]),
      node("Gather", ["orig_im_size", "i1"], ["wd"], [intAttr("axis", 0)]),
      node("Max", ["h", "wd"], ["longest"]),
      node("Div", ["size", "longest"], ["k"]),
      node("Range", ["zero", "h", "one"], ["ys0"]),
      node("Range", ["zero", "wd", "one"], ["xs0"]),
      node("Add", ["ys0", "half"], ["ys1"]),
      node("Add", ["xs0", "half"], ["xs1"]),
      node("Mul", ["ys1", "k"], ["ys2"]),
      node("Mul", ["xs1", "k"], ["xs2"]),
      node("Reshape", ["ys2", "shapeCol"], ["ys"]),
      node("Reshape", ["xs2", "shapeRow"], ["xs"]),
      node("Sub", ["ys", "cy"], ["dy"]),
      node("Sub", ["xs", "cx"], ["dx"]),
      node("Mul", ["dy", "dy"], ["dy2"]),
      node("Mul", ["dx", "dx"], ["dx2"]),
      node("Add", ["dy2", "dx2"], ["d2"]),
      node("Sub", ["r2", "d2"], ["masks"]),
      // Low-res logits on the fixed 16×16 grid of the 64×64 input frame.
      node("Sub", ["gy", "cy"], ["ldy"]),
      node("Sub", ["gx", "cx"], ["ldx"]),
      node("Mul", ["ldy", "ldy"], ["ldy2"]),
      node("Mul", ["ldx", "ldx"], ["ldx2"]),
      node("Add", ["ldy2", "ldx2"], ["ld2"]),
      node("Sub", ["r2", "ld2"], ["low_res_masks"]),
      // The embedding, the previous mask and its flag flow into the score with weight 0.
      node("ReduceSum", ["image_embeddings"], ["se"], [intAttr("keepdims", 0)]),
      node("ReduceSum", ["mask_input"], ["sm"], [intAttr("keepdims", 0)]),
      node("ReduceSum", ["has_mask_input"], ["sh"], [intAttr("keepdims", 0)]),
      node("Add", ["se", "sm"], ["s1a"]),
      node("Add", ["s1a", "sh"], ["s1b"]),
      node("Mul", ["s1b", "zero"], ["nothing"]),
      node("Add", ["iou", "nothing"], ["iou0"]),
      node("Reshape", ["iou0", "shape11"], ["iou_predictions"]),
    ],
  });
}

export function manifest(name = "tiny-sam") {
  return {
    name,
    task: "segmentation",
    architecture: "sam",
    files: { encoder: "encoder.onnx", decoder: "decoder.onnx" },
    input_size: INPUT_SIZE,
    normalization: { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], channel_order: "RGB" },
    labels: [],
    license: "Apache-2.0",
    source: "generated by scripts/tiny-sam.mjs (Tessera test fixture)",
  };
}

/** Writes the pair and its manifest into `dir` (created if needed); returns `dir`. */
export function writeTinySam(dir, name = "tiny-sam") {
  return writeModelDir(dir, { "encoder.onnx": encoderModel, "decoder.onnx": decoderModel }, manifest(name));
}

if (isMain(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: node scripts/tiny-sam.mjs <dir> [name]\n");
    process.exit(2);
  }
  writeTinySam(resolve(dir), process.argv[3]);
}

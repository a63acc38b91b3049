#!/usr/bin/env node
/**
 * Writes a tiny single-object tracker (`model.onnx`, `manifest.json`) into a folder:
 * `node scripts/tiny-tracker.mjs <dir> [name]`. Tests and the tracking benchmark use it: nothing
 * is downloaded at run time.
 *
 * The graph has the input/output names, ranks and meaning of OpenCV Zoo's VitTrack export
 * (`object_tracking_vittrack_2023sep.onnx`, what OpenCV's `TrackerVit` runs), at a tiny size:
 * `template` float32 [1, 3, T, T] (the first frame cut around the box, side 2·√(w·h), resized to
 * T) and `search` float32 [1, 3, S, S] (the next frame cut around the last box, side 4·√(w·h),
 * resized to S), both RGB normalised with ImageNet's mean/std → `output1` float32 [1, 1, R, R]
 * (confidence per cell, 0..1), `output2` float32 [1, 2, R, R] (box width and height as fractions
 * of the search crop) and `output3` float32 [1, 2, R, R] (the centre's offset inside the cell, in
 * cells). T = {@link TEMPLATE_SIZE}, S = {@link SEARCH_SIZE}, R = S (one cell per search pixel).
 *
 * It really tracks, by template matching: the kernel is the template's central half (the object),
 * cell (i, j)'s confidence is exp(−mean squared difference between the kernel and the search
 * window centred on (i, j)), computed with two `Conv`s whose weight input is the kernel (Σw·k) and
 * a ones kernel (Σw²). A window identical to the object scores 1; anything else scores less, a
 * frame without the object scores near 0. The size map holds the template's object size (0.25 of
 * the search crop, a square box of the start box's area); the offset map is 0 (cell i's window
 * is centred on i exactly).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export const TEMPLATE_SIZE = 32;
export const SEARCH_SIZE = 64;
/** The kernel: the template's central half (the object when the template side is 2·√(w·h)). */
const KERNEL = TEMPLATE_SIZE / 2;
/** Mean squared difference (normalised units) at which the confidence falls to 1/e. */
const TAU = 1;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function valueInfo(name, elemType, dims) {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

const intsAttr = (name, ints) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
const intAttr = (name, i) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const node = (opType, inputs, outputs, attribute = []) => ({
  opType,
  input: inputs,
  output: outputs,
  name: `${opType}_${outputs[0]}`,
  attribute,
});
const scalar = (name, v) => ({ name, dims: [], dataType: FLOAT, floatData: [v] });

export function trackerModel() {
  const lo = (TEMPLATE_SIZE - KERNEL) / 2;
  // Cell i's window covers search pixels i − K/2 … i + K/2 − 1: centred on i.
  const pads = [KERNEL / 2, KERNEL / 2, KERNEL / 2 - 1, KERNEL / 2 - 1];
  const convAttrs = [intsAttr("kernel_shape", [KERNEL, KERNEL]), intsAttr("pads", pads)];
  const n = 3 * KERNEL * KERNEL;
  const proto = onnx.ModelProto.fromObject({
    irVersion: 8,
    producerName: "tessera-tiny-tracker",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "tiny_tracker",
      input: [
        valueInfo("template", FLOAT, [1, 3, TEMPLATE_SIZE, TEMPLATE_SIZE]),
        valueInfo("search", FLOAT, [1, 3, SEARCH_SIZE, SEARCH_SIZE]),
      ],
      output: [
        valueInfo("output1", FLOAT, [1, 1, SEARCH_SIZE, SEARCH_SIZE]),
        valueInfo("output2", FLOAT, [1, 2, SEARCH_SIZE, SEARCH_SIZE]),
        valueInfo("output3", FLOAT, [1, 2, SEARCH_SIZE, SEARCH_SIZE]),
      ],
      initializer: [
        { name: "k_starts", dims: [2], dataType: INT64, int64Data: [lo, lo] },
        { name: "k_ends", dims: [2], dataType: INT64, int64Data: [lo + KERNEL, lo + KERNEL] },
        { name: "k_axes", dims: [2], dataType: INT64, int64Data: [2, 3] },
        { name: "ones", dims: [1, 3, KERNEL, KERNEL], dataType: FLOAT, floatData: new Array(n).fill(1) },
        scalar("two", 2),
        scalar("coef", -1 / (n * TAU)),
        scalar("zero", 0),
        scalar("one", 1),
        { name: "size_cell", dims: [1, 2, 1, 1], dataType: FLOAT, floatData: [0.25, 0.25] },
        { name: "offset_cell", dims: [1, 2, 1, 1], dataType: FLOAT, floatData: [0, 0] },
        { name: "map_shape", dims: [4], dataType: INT64, int64Data: [1, 2, SEARCH_SIZE, SEARCH_SIZE] },
      ],
      node: [
        node("Slice", ["template", "k_starts", "k_ends", "k_axes"], ["kernel"]),
        node("Conv", ["search", "kernel"], ["corr"], convAttrs),
        node("Mul", ["search", "search"], ["search_sq"]),
        node("Conv", ["search_sq", "ones"], ["energy"], convAttrs),
        node("Mul", ["kernel", "kernel"], ["kernel_sq"]),
        node("ReduceSum", ["kernel_sq"], ["kernel_energy"], [intAttr("keepdims", 1)]),
        node("Mul", ["corr", "two"], ["corr2"]),
        node("Add", ["energy", "kernel_energy"], ["energies"]),
        node("Sub", ["energies", "corr2"], ["ssd"]),
        node("Mul", ["ssd", "coef"], ["neg_mse"]),
        node("Exp", ["neg_mse"], ["similarity"]),
        node("Clip", ["similarity", "zero", "one"], ["output1"]),
        node("Expand", ["size_cell", "map_shape"], ["output2"]),
        node("Expand", ["offset_cell", "map_shape"], ["output3"]),
      ],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

export function manifest(name = "tiny-tracker") {
  return {
    name,
    task: "tracking",
    architecture: "vittrack",
    files: { model: "model.onnx" },
    input_size: SEARCH_SIZE,
    template_size: TEMPLATE_SIZE,
    normalization: { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], channel_order: "RGB" },
    outputs: { score: "output1", size: "output2", offset: "output3" },
    score_threshold: 0.2,
    license: "Apache-2.0",
    source: "generated by scripts/tiny-tracker.mjs (Tessera test fixture)",
  };
}

/** Writes the tracker and its manifest into `dir` (created if needed); returns `dir`. */
export function writeTinyTracker(dir, name = "tiny-tracker") {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model.onnx"), trackerModel());
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest(name), null, 2)}\n`);
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: node scripts/tiny-tracker.mjs <dir> [name]\n");
    process.exit(2);
  }
  writeTinyTracker(resolve(dir), process.argv[3]);
}

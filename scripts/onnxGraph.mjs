/**
 * The ONNX graph-building pieces the tiny test models (`scripts/tiny-*.mjs`) share: value infos,
 * initializer tensors, nodes and their attributes, the model's encoding (IR 8, opset 17), and the
 * writing of a model folder with its manifest. Plain objects in onnx-proto's `fromObject` shape.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
const OPSET = 17;

/** A graph input or output: `dims` are sizes (numbers) or named dynamic axes (strings). */
export function valueInfo(name, elemType, dims) {
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

export const floatTensor = (name, dims, values) => ({ name, dims, dataType: FLOAT, floatData: values });
export const int64Tensor = (name, dims, values) => ({ name, dims, dataType: INT64, int64Data: values });
/** A float32 scalar (rank 0). */
export const scalar = (name, v) => floatTensor(name, [], [v]);

/** A node named after its op and first output. */
export const node = (opType, inputs, outputs, attribute = []) => ({
  opType,
  input: inputs,
  output: outputs,
  name: `${opType}_${outputs[0]}`,
  attribute,
});
export const intAttr = (name, i) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
export const intsAttr = (name, ints) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });

/** The model's bytes: `graph` under IR version 8 and the default domain at opset 17. */
export function encodeModel(producerName, graph) {
  const proto = onnx.ModelProto.fromObject({
    irVersion: 8,
    producerName,
    opsetImport: [{ domain: "", version: OPSET }],
    graph,
  });
  return onnx.ModelProto.encode(proto).finish();
}

/**
 * Writes `files` (file name → a function building its bytes, called in turn, each file written
 * before the next is built) and `manifest.json` into `dir` (created if needed); returns `dir`.
 */
export function writeModelDir(dir, files, manifest) {
  mkdirSync(dir, { recursive: true });
  for (const [name, build] of Object.entries(files)) writeFileSync(join(dir, name), build());
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

/** Whether the module at `moduleUrl` is the script node was started with (not an import). */
export function isMain(moduleUrl) {
  return Boolean(process.argv[1]) && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

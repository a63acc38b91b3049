import path from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { tokenizerProblem } from "./tokenizerManifest.js";

/**
 * A model's manifest, `DATA_DIR/models/<name>/manifest.json`: what the model does, its files
 * (relative to the folder), how its input is sized and normalised, its labels and licence.
 * Checked with TypeBox when the registry reads it; a bad manifest is reported, never fatal.
 */
export const MODEL_TASKS = ["segmentation", "detection", "embedding-image", "embedding-text", "tracking"] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

/** Pixano 0.8's task names (`pixano.inference.types.InferenceTask`) for each manifest task. */
export const PIXANO_TASK: Readonly<Record<ModelTask, string>> = {
  segmentation: "image_mask_generation",
  tracking: "video_mask_generation",
  detection: "detection",
  "embedding-image": "embedding",
  "embedding-text": "embedding",
};

/** Pixano 0.8's `InferenceTask` values (what `?task=` accepts there). */
export const PIXANO_TASKS = ["image_mask_generation", "video_mask_generation", "detection", "vlm", "ner", "embedding"];

export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const Triple = Type.Tuple([Type.Number(), Type.Number(), Type.Number()]);

export const ModelManifest = Type.Object(
  {
    name: Type.Optional(Type.String({ pattern: MODEL_NAME.source })),
    task: Type.Union(MODEL_TASKS.map((t) => Type.Literal(t))),
    /** Free text naming the export family (`sam`, `mobile_sam`, `yolo`, `clip`): Pixano's `model_class`. */
    architecture: Type.Optional(Type.String({ maxLength: 64 })),
    /** Role → file relative to the model folder (`encoder`, `decoder` for SAM; `model` for one-graph models). */
    files: Type.Record(
      Type.String({ pattern: "^[a-z][a-z0-9_-]{0,31}$" }),
      Type.String({ minLength: 1, maxLength: 255 }),
    ),
    /** The square input side (SAM: 1024), or [height, width]. */
    input_size: Type.Optional(
      Type.Union([
        Type.Integer({ minimum: 1, maximum: 8192 }),
        Type.Tuple([Type.Integer({ minimum: 1, maximum: 8192 }), Type.Integer({ minimum: 1, maximum: 8192 })]),
      ]),
    ),
    normalization: Type.Optional(
      Type.Object(
        {
          mean: Triple,
          std: Triple,
          channel_order: Type.Optional(Type.Union([Type.Literal("RGB"), Type.Literal("BGR")])),
        },
        { additionalProperties: false },
      ),
    ),
    labels: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 100_000 })),
    license: Type.Optional(Type.String({ maxLength: 256 })),
    source: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: true },
);
export type ModelManifest = Static<typeof ModelManifest>;

export class ManifestError extends Error {
  override name = "ManifestError";
}

/** The roles a task's manifest must name in `files`. */
const REQUIRED_FILES: Readonly<Record<ModelTask, readonly string[]>> = {
  segmentation: ["encoder", "decoder"],
  detection: ["model"],
  "embedding-image": ["model"],
  "embedding-text": ["model"],
  tracking: ["model"],
};

/** Checks a parsed manifest; throws a {@link ManifestError} that says what is wrong. */
export function checkManifest(value: unknown): ModelManifest {
  if (!Value.Check(ModelManifest, value)) {
    const issues = [...Value.Errors(ModelManifest, value)]
      .slice(0, 5)
      .map((e) => `${e.path || "/"}: ${e.message}`)
      .join("; ");
    throw new ManifestError(`invalid manifest: ${issues}`);
  }
  for (const role of REQUIRED_FILES[value.task]) {
    if (!(role in value.files)) throw new ManifestError(`a ${value.task} model needs files.${role}`);
  }
  for (const [role, file] of Object.entries(value.files)) {
    const norm = path.posix.normalize(file.replaceAll("\\", "/"));
    if (path.posix.isAbsolute(norm) || norm.startsWith("../") || norm === "..")
      throw new ManifestError(`files.${role} must be a path inside the model folder (got ${JSON.stringify(file)})`);
  }
  const tokenizer = tokenizerProblem((value as Record<string, unknown>).tokenizer);
  if (tokenizer !== null) throw new ManifestError(tokenizer);
  return value;
}

/** The square input side a SAM-style encoder takes (1024 unless the manifest says otherwise). */
export function squareInputSize(m: ModelManifest): number {
  const s = m.input_size;
  if (s === undefined) return 1024;
  if (typeof s === "number") return s;
  if (s[0] !== s[1]) throw new ManifestError(`a SAM-style encoder takes a square input (got ${s[0]}×${s[1]})`);
  return s[0];
}

import path from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { TrackerSpec } from "@tessera/shared-crdt";
import { InferenceError } from "../InferenceError.js";
import type { RegisteredModel } from "../registry.js";

/**
 * A `tracking` model's manifest fields beyond the common ones (docs/models.md): the layout of
 * OpenCV Zoo's VitTrack export. `input_size` is the `search` side, `template_size` the `template`
 * side, `crop_factors` the crop sides as multiples of √(w·h) of the box, `outputs` the names of the
 * confidence, size and offset maps, `score_threshold` the confidence under which a run stops.
 */
const Side = Type.Integer({ minimum: 8, maximum: 4096 });
const TrackerFields = Type.Object({
  input_size: Type.Optional(Type.Union([Side, Type.Tuple([Side, Side])])),
  template_size: Type.Optional(Side),
  crop_factors: Type.Optional(
    Type.Object(
      {
        template: Type.Number({ exclusiveMinimum: 0, maximum: 16 }),
        search: Type.Number({ exclusiveMinimum: 0, maximum: 16 }),
      },
      { additionalProperties: false },
    ),
  ),
  outputs: Type.Optional(
    Type.Object(
      {
        score: Type.String({ minLength: 1, maxLength: 128 }),
        size: Type.String({ minLength: 1, maxLength: 128 }),
        offset: Type.String({ minLength: 1, maxLength: 128 }),
      },
      { additionalProperties: false },
    ),
  ),
  score_threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
});
type TrackerFields = Static<typeof TrackerFields>;

/** VitTrack's own values (OpenCV's `TrackerVit`). */
const VITTRACK = {
  search: 256,
  template: 128,
  factors: { template: 2, search: 4 },
  outputs: { score: "output1", size: "output2", offset: "output3" },
  threshold: 0.2,
  mean: [123.675, 116.28, 103.53] as const,
  std: [58.395, 57.12, 57.375] as const,
};

export interface TrackerModel {
  readonly spec: TrackerSpec;
  /** A frame whose confidence is under this ends a run (the manifest's `score_threshold`). */
  readonly scoreThreshold: number;
}

/** The worker's spec of a registered `tracking` model; a wrong task or bad fields are a typed error. */
export function trackerModel(model: RegisteredModel): TrackerModel {
  const m = model.manifest;
  const file = m.files.model;
  if (m.task !== "tracking" || file === undefined)
    throw new InferenceError("wrong_task", `Model '${model.name}' is a ${m.task} model, not a tracker`);
  const extra: unknown = m;
  if (!Value.Check(TrackerFields, extra)) {
    const first = [...Value.Errors(TrackerFields, extra)][0];
    throw new InferenceError(
      "wrong_task",
      `Model '${model.name}': invalid tracking manifest (${first ? `${first.path}: ${first.message}` : "?"})`,
    );
  }
  const f: TrackerFields = extra;
  const search =
    f.input_size === undefined ? VITTRACK.search : typeof f.input_size === "number" ? f.input_size : f.input_size[0];
  if (Array.isArray(f.input_size) && f.input_size[0] !== f.input_size[1])
    throw new InferenceError("wrong_task", `Model '${model.name}': a tracker's search input is square`);
  const norm = m.normalization;
  return {
    spec: {
      name: model.name,
      modelPath: path.join(model.dir, file),
      templateSize: f.template_size ?? VITTRACK.template,
      searchSize: search,
      templateFactor: f.crop_factors?.template ?? VITTRACK.factors.template,
      searchFactor: f.crop_factors?.search ?? VITTRACK.factors.search,
      mean: norm ? [norm.mean[0], norm.mean[1], norm.mean[2]] : VITTRACK.mean,
      std: norm ? [norm.std[0], norm.std[1], norm.std[2]] : VITTRACK.std,
      channelOrder: norm?.channel_order ?? "RGB",
      outputs: f.outputs ?? VITTRACK.outputs,
    },
    scoreThreshold: f.score_threshold ?? VITTRACK.threshold,
  };
}

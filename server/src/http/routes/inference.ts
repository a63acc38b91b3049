import { randomUUID } from "node:crypto";
import { Router, type Request } from "express";
import { Type } from "@sinclair/typebox";
import type { SegmentPrompt } from "@tessera/shared-crdt";
import { decide } from "../../auth/permissions.js";
import { requestAuth } from "../../auth/principal.js";
import { refineDraft, writeDraft, writeFrameDraft } from "../../inference/drafts.js";
import { segmentFrame } from "../../inference/frameSegment.js";
import { InferenceError, inferenceErrorStatus } from "../../inference/InferenceError.js";
import { PROVIDER_NAME, type InferenceService } from "../../inference/InferenceService.js";
import { MODEL_TASKS, PIXANO_TASK, PIXANO_TASKS } from "../../inference/manifest.js";
import { openDataset, param, type AppContext } from "../context.js";
import { HttpError, type ErrorMapper } from "../errors.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { restIdentity } from "../recordDocs.js";

/**
 * Pixano 0.8's inference routes (`pixano/api/routers/inference.py`) answered by Tessera's own
 * inference worker, plus the live draft of interactive segmentation:
 *
 * - `GET /inference/connected`: Tessera is the one provider (`tessera`), connected when the
 *   registry (`DATA_DIR/models/`) holds a valid model; otherwise Pixano's "nothing connected".
 * - `GET /inference/models/list[?task=]`: the registry's models in Pixano's `ModelInfoResponse`
 *   shape, `task` in Pixano's vocabulary (`image_mask_generation`, …; Tessera's manifest names are
 *   accepted too). With no model, `[]` whatever `task` is (Pixano answers before reading it).
 * - `POST /inference/image_mask_generation` (Pixano 0.8.0) and `/inference/segmentation` (its
 *   earlier name): one mask per prompt as COCO RLE of the view's size, Pixano's envelope.
 * - `POST /inference/datasets/{dataset_id}/segmentation/draft`: the same segmentation written into
 *   the record document as a draft mask proposal (new, or refined in place): on an image view, a
 *   mask on a new entity; on a video frame (an image sequence's frame row, or a video file and a
 *   `frame_index`), a mask keyframe on that frame of the given track or of a new one.
 */
const HTTPError = { "application/json": { $ref: "#/components/schemas/HTTPError" } };

const NDArray = Type.Object({ values: Type.Array(Type.Number()), shape: Type.Array(Type.Integer()) });
const Point = Type.Array(Type.Number(), { minItems: 2, maxItems: 2 });
const Box = Type.Array(Type.Number(), { minItems: 4, maxItems: 4 });

/** Pixano's `ImageMaskGenerationRequest` (extra fields ignored, as pydantic does). */
const ImageMaskGenerationRequest = Type.Object({
  model: Type.String(),
  provider_name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  dataset_id: Type.String(),
  view_id: Type.String(),
  image_embedding: Type.Optional(Type.Union([NDArray, Type.Null()])),
  high_resolution_features: Type.Optional(Type.Union([Type.Array(NDArray), Type.Null()])),
  mask_input: Type.Optional(Type.Union([NDArray, Type.Null()])),
  reset_predictor: Type.Optional(Type.Boolean()),
  points: Type.Optional(Type.Union([Type.Array(Type.Array(Point, { maxItems: 64 }), { maxItems: 32 }), Type.Null()])),
  labels: Type.Optional(
    Type.Union([Type.Array(Type.Array(Type.Integer(), { maxItems: 64 }), { maxItems: 32 }), Type.Null()]),
  ),
  boxes: Type.Optional(Type.Union([Type.Array(Box, { maxItems: 32 }), Type.Null()])),
  num_multimask_outputs: Type.Optional(Type.Integer()),
  multimask_output: Type.Optional(Type.Boolean()),
  return_image_embedding: Type.Optional(Type.Boolean()),
  return_logits: Type.Optional(Type.Boolean()),
});

const DraftRequest = Type.Object({
  model: Type.String({ maxLength: 64 }),
  view_id: Type.String({ maxLength: 256 }),
  points: Type.Array(Point, { maxItems: 64 }),
  labels: Type.Array(Type.Integer({ minimum: 0, maximum: 1 }), { maxItems: 64 }),
  box: Type.Optional(Type.Union([Box, Type.Null()])),
  /** The draft to refine (its mask row id); absent: a new draft. */
  draft_id: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
  /** A video file's frame (`view_id` = the `videos` row); on a sequence frame, its own index (checked). */
  frame_index: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 10_000_000 }), Type.Null()])),
  /** On a video frame: the track a new draft becomes a mask keyframe of; absent: a new track. */
  tracklet_id: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
  /** On a sequence frame: the `view_id` a new track's tracklet takes (a frame row of the same view). */
  track_view_id: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
});

const ModelInfo = {
  type: "object",
  required: ["name", "task", "provider_name"],
  properties: {
    name: { type: "string" },
    task: { type: "string" },
    provider_name: { type: "string" },
    model_path: { type: ["string", "null"] },
    model_class: { type: ["string", "null"] },
  },
};

/** `InferenceError` (matched by name) → its status and `{"detail"}`. */
export const mapInferenceError: ErrorMapper = (err) =>
  err instanceof Error && err.name === "InferenceError"
    ? { status: inferenceErrorStatus((err as InferenceError).reason), detail: err.message }
    : null;

function serviceOf(ctx: AppContext): InferenceService {
  if (!ctx.inference) throw new HttpError(404, "No inference provider is connected.");
  return ctx.inference;
}

/** The dataset named in a body (not the path): the caller must be able to read it. */
function mayRead(req: Request, datasetId: string): void {
  const a = requestAuth(req);
  if (!a) return;
  const d = decide({ access: "dataset", min: "viewer" }, a.principal, datasetId);
  if (!d.ok) throw new HttpError(d.status, d.detail);
}

function promptsOf(body: {
  points?: number[][][] | null;
  labels?: number[][] | null;
  boxes?: number[][] | null;
}): SegmentPrompt[] {
  const points = body.points ?? [];
  const labels = body.labels ?? [];
  const boxes = body.boxes ?? [];
  const n = Math.max(points.length, boxes.length);
  const out: SegmentPrompt[] = [];
  for (let i = 0; i < n; i++) {
    const pts = (points[i] ?? []).map((p) => [p[0] ?? 0, p[1] ?? 0] as const);
    const box = boxes[i];
    out.push({
      points: pts,
      labels: labels[i] ?? pts.map(() => 1),
      box: box ? [box[0] ?? 0, box[1] ?? 0, box[2] ?? 0, box[3] ?? 0] : null,
    });
  }
  return out;
}

export function inferenceRouter(ctx: AppContext): Router {
  const router = Router();
  const tags = ["Inference"];
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/inference/connected",
      operationId: "list_connected_providers",
      summary: "List connected inference providers (Tessera's own, when a model is registered)",
      tags,
      responses: {
        "200": {
          description: "The inference registry.",
          content: {
            "application/json": {
              type: "object",
              required: ["connected", "providers"],
              properties: {
                connected: { type: "boolean" },
                providers: {
                  type: "object",
                  additionalProperties: { type: "object", properties: { url: { type: ["string", "null"] } } },
                },
                default_provider: { type: ["string", "null"] },
              },
            },
          },
        },
      },
    },
    async (_req, res) => {
      const models = ctx.inference ? await ctx.inference.models() : [];
      if (models.length === 0) {
        sendJson(res, 200, { connected: false, providers: {}, default_provider: null });
        return;
      }
      sendJson(res, 200, {
        connected: true,
        providers: { [PROVIDER_NAME]: { url: null } },
        default_provider: PROVIDER_NAME,
      });
    },
  );
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/inference/models/list",
      operationId: "list_inference_models",
      summary: "List inference models (DATA_DIR/models)",
      tags,
      query: [
        {
          name: "task",
          schema: { type: ["string", "null"] },
          description: "Pixano's task (image_mask_generation, detection, embedding, …) or a manifest task.",
        },
      ],
      responses: {
        "200": { description: "The models.", content: { "application/json": { type: "array", items: ModelInfo } } },
        "400": { description: "Unknown task.", content: HTTPError },
      },
    },
    async (req, res) => {
      const models = ctx.inference ? await ctx.inference.models() : [];
      if (models.length === 0) {
        sendJson(res, 200, []);
        return;
      }
      const task = typeof req.query.task === "string" && req.query.task !== "" ? req.query.task : null;
      if (task !== null && !PIXANO_TASKS.includes(task) && !(MODEL_TASKS as readonly string[]).includes(task))
        throw new HttpError(400, `Unsupported inference task '${task}'`);
      sendJson(
        res,
        200,
        models
          .filter((m) => task === null || m.manifest.task === task || PIXANO_TASK[m.manifest.task] === task)
          .map((m) => ({
            name: m.name,
            task: PIXANO_TASK[m.manifest.task],
            provider_name: PROVIDER_NAME,
            model_path: `models/${m.name}`,
            model_class: m.manifest.architecture ?? null,
          })),
      );
    },
  );
  for (const [path, operationId] of [
    ["/inference/image_mask_generation", "image_mask_generation"],
    ["/inference/segmentation", "segment_image"],
  ] as const) {
    ctx.routes.add(
      router,
      {
        method: "post",
        path,
        operationId,
        summary: "Masks for point/box prompts on an image view (SAM-style model)",
        tags,
        body: ImageMaskGenerationRequest,
        responses: {
          "200": { description: "One COCO RLE mask of the view's size per prompt, Pixano's envelope." },
          "404": { description: "No such model, dataset or view.", content: HTTPError },
          "422": { description: "The prompt or the image cannot be used.", content: HTTPError },
          "503": { description: "The inference queue is full, or the worker restarted.", content: HTTPError },
          "504": { description: "The model did not answer in time.", content: HTTPError },
        },
      },
      jsonBody(ctx.jsonLimitBytes),
      async (req, res) => {
        const service = serviceOf(ctx);
        const body = req.body;
        mayRead(req, body.dataset_id);
        const started = performance.now();
        const prompts = promptsOf(body);
        if (prompts.length === 0) {
          // Pixano's UI asks once with no prompt (for the embedding, which stays in the worker here): the
          // embedding is computed now, so the first click runs the decoder alone; no mask.
          const warm = await service.prepare(body.model, body.dataset_id, body.view_id);
          sendJson(res, 200, {
            data: {
              masks: [],
              scores: { values: [], shape: [0, 1] },
              image_embedding: null,
              high_resolution_features: null,
              mask_logits: null,
            },
            timestamp: new Date().toISOString(),
            processing_time: (performance.now() - started) / 1000,
            metadata: {
              provider: PROVIDER_NAME,
              model: body.model,
              embedding: [warm.embedding],
              encoder_ms: [warm.encoderMs],
            },
            id: randomUUID(),
            status: "COMPLETED",
          });
          return;
        }
        const masks: Array<Array<{ size: [number, number]; counts: string }>> = [];
        const scores: number[] = [];
        const sources: string[] = [];
        const encoderMs: number[] = [];
        const decoderMs: number[] = [];
        for (const prompt of prompts) {
          const r = await service.segment({
            model: body.model,
            datasetId: body.dataset_id,
            viewId: body.view_id,
            prompt,
          });
          masks.push([r.mask]);
          scores.push(r.score);
          sources.push(r.embedding);
          encoderMs.push(r.encoderMs);
          decoderMs.push(r.decoderMs);
        }
        sendJson(res, 200, {
          data: {
            masks,
            scores: { values: scores, shape: [scores.length, 1] },
            image_embedding: null,
            high_resolution_features: null,
            mask_logits: null,
          },
          timestamp: new Date().toISOString(),
          processing_time: (performance.now() - started) / 1000,
          metadata: {
            provider: PROVIDER_NAME,
            model: body.model,
            embedding: sources,
            encoder_ms: encoderMs,
            decoder_ms: decoderMs,
          },
          id: randomUUID(),
          status: "COMPLETED",
        });
      },
    );
  }
  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/inference/datasets/{dataset_id}/segmentation/draft",
      operationId: "segment_draft",
      summary: "Segment with points/box and write the mask as a draft proposal in the record document",
      tags,
      body: DraftRequest,
      responses: {
        "200": {
          description:
            "The draft: entity and mask ids (and on a video frame its track and frame index), the mask, the predicted IoU.",
        },
        "404": { description: "No such model, view or draft.", content: HTTPError },
        "422": { description: "The prompt cannot be used, or the draft is no longer one.", content: HTTPError },
        "503": { description: "The inference queue is full, or the worker restarted.", content: HTTPError },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const service = serviceOf(ctx);
      const docs = ctx.docs;
      if (!docs) throw new HttpError(503, "Live records are off on this server: drafts need them.");
      const datasetId = param(req.params, "dataset_id");
      const handle = await openDataset(ctx, datasetId);
      const body = req.body;
      const prompt: SegmentPrompt = {
        points: body.points.map((p) => [p[0] ?? 0, p[1] ?? 0] as const),
        labels: body.labels,
        box: body.box ? [body.box[0] ?? 0, body.box[1] ?? 0, body.box[2] ?? 0, body.box[3] ?? 0] : null,
      };
      const who = restIdentity(req);
      const draftId = body.draft_id ?? null;
      const promptJson = { points: body.points, labels: body.labels, box: body.box ?? null };
      const onFrame = await segmentFrame(service, {
        model: body.model,
        datasetId,
        viewId: body.view_id,
        frameIndex: body.frame_index ?? null,
        trackViewId: body.track_view_id ?? null,
        prompt,
      });
      if (onFrame !== null) {
        for (const t of ["masks", "tracklets"] as const) if (!handle.schema.tables.has(t)) await handle.ensureTable(t);
        const r = onFrame.result;
        const draft = {
          model: body.model,
          viewId: onFrame.frame.id,
          frameIndex: onFrame.frame.index,
          mask: r.mask,
          score: r.score,
          prompt: promptJson,
        };
        const target = { frame: onFrame.frame, trackViewId: onFrame.trackViewId, trackletId: body.tracklet_id ?? null };
        let ids = { entityId: "", maskId: "", trackletId: "" };
        await docs.edit(datasetId, onFrame.recordId, who, (doc) => {
          ids =
            draftId === null
              ? writeFrameDraft(doc, handle.schema, onFrame.recordId, who.id, draft, target)
              : refineDraft(doc, draftId, draft);
        });
        sendJson(res, 200, {
          record_id: onFrame.recordId,
          entity_id: ids.entityId,
          mask_id: ids.maskId,
          tracklet_id: ids.trackletId,
          frame_index: onFrame.frame.index,
          mask: r.mask,
          score: r.score,
          embedding: r.embedding,
        });
        return;
      }
      if ((body.frame_index ?? null) !== null || (body.tracklet_id ?? null) !== null)
        throw new InferenceError("bad_prompt", `View '${body.view_id}' is an image: frames and tracks are a video's.`);
      const r = await service.segment({ model: body.model, datasetId, viewId: body.view_id, prompt });
      if (r.view.table !== "images")
        throw new InferenceError("bad_prompt", `View '${body.view_id}' is not an image view nor a video frame.`);
      if (!handle.schema.tables.has("masks")) await handle.ensureTable("masks");
      const draft = { model: body.model, viewId: r.view.id, mask: r.mask, score: r.score, prompt: promptJson };
      let ids: { entityId: string; maskId: string } = { entityId: "", maskId: "" };
      await docs.edit(datasetId, r.view.recordId, who, (doc) => {
        ids =
          draftId === null
            ? writeDraft(doc, handle.schema, r.view.recordId, who.id, draft)
            : refineDraft(doc, draftId, draft);
      });
      sendJson(res, 200, {
        record_id: r.view.recordId,
        entity_id: ids.entityId,
        mask_id: ids.maskId,
        mask: r.mask,
        score: r.score,
        embedding: r.embedding,
      });
    },
  );
  return router;
}

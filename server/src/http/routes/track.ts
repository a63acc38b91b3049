import { Router } from "express";
import { Type } from "@sinclair/typebox";
import { MAX_TRACK_FRAMES, TrackRunError, type TrackService } from "../../inference/track/TrackService.js";
import { openDataset, param, type AppContext } from "../context.js";
import { HttpError, type ErrorMapper } from "../errors.js";
import { sendJson } from "../json.js";
import { jsonBody } from "../jsonBody.js";
import { restIdentity } from "../recordDocs.js";

/**
 * Tracking assist on video: a registered `tracking` model propagates a track's box from a frame
 * to the next ones, each frame written as a proposed keyframe of the track (live for everyone on
 * the record); the run's JSON is the pre-annotation job shape with `kind: "track"`, and its
 * progress also reaches the dataset's live channel as `job:progress` events.
 *
 * - `POST /inference/datasets/{dataset_id}/records/{record_id}/track` → 202 and the run;
 * - `GET …/records/{record_id}/track/jobs` (most recent first), `GET /inference/datasets/{dataset_id}/track/jobs/{job_id}`;
 * - `POST /inference/datasets/{dataset_id}/track/jobs/{job_id}/cancel`: stops it between two frames; what was written stays.
 */
const HTTPError = { "application/json": { $ref: "#/components/schemas/HTTPError" } };

const TrackRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 64 }),
    tracklet_id: Type.String({ minLength: 1, maxLength: 256 }),
    /** The frame whose box is propagated (default: the track's last box keyframe). */
    start_frame: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Frames after the start proposed at most (default 50). */
    max_frames: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TRACK_FRAMES })),
    /** A frame with a confidence under this ends the run (default: the manifest's `score_threshold`). */
    min_score: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** When the track has masks: the segmentation model drawing one in each tracked box (default: the first registered). */
    segmentation_model: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const mapTrackError: ErrorMapper = (err) => {
  if (!(err instanceof TrackRunError)) return null;
  const status = err.reason === "not_found" ? 404 : err.reason === "conflict" ? 409 : 422;
  return { status, detail: err.message };
};

function serviceOf(ctx: AppContext): TrackService {
  if (!ctx.track) throw new HttpError(503, "Tracking needs the inference worker and live records.");
  return ctx.track;
}

export function trackRouter(ctx: AppContext): Router {
  const router = Router();
  const tags = ["Inference"];
  const runDoc = { "200": { description: "The run (the job shape, `kind: track`)." } };
  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/inference/datasets/{dataset_id}/records/{record_id}/track",
      operationId: "create_tracking_run",
      summary: "Propagate a track's box to the next frames with a tracker, as proposed keyframes",
      tags,
      body: TrackRequest,
      responses: {
        "202": { description: "The run, started." },
        "404": { description: "No such dataset, record, track or model.", content: HTTPError },
        "409": {
          description: "The track is already being tracked, or too many runs are going on.",
          content: HTTPError,
        },
        "422": { description: "The model is not a tracker, or the start frame shows no box.", content: HTTPError },
        "503": { description: "The inference worker or live records are off.", content: HTTPError },
      },
    },
    jsonBody(ctx.jsonLimitBytes),
    async (req, res) => {
      const service = serviceOf(ctx);
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const body = req.body;
      const job = await service.start(
        handle,
        param(req.params, "record_id"),
        {
          model: body.model,
          trackletId: body.tracklet_id,
          ...(body.start_frame !== undefined ? { startFrame: body.start_frame } : {}),
          maxFrames: body.max_frames ?? 50,
          ...(body.min_score !== undefined ? { minScore: body.min_score } : {}),
          ...(body.segmentation_model !== undefined ? { segmentationModel: body.segmentation_model } : {}),
        },
        restIdentity(req),
      );
      sendJson(res, 202, job);
    },
  );
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/inference/datasets/{dataset_id}/records/{record_id}/track/jobs",
      operationId: "list_tracking_runs",
      summary: "The record's tracking runs, most recent first",
      tags,
      responses: {
        "200": { description: "The runs." },
        "404": { description: "No such dataset.", content: HTTPError },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      sendJson(res, 200, serviceOf(ctx).list(handle.id, param(req.params, "record_id")));
    },
  );
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/inference/datasets/{dataset_id}/track/jobs/{job_id}",
      operationId: "get_tracking_run",
      summary: "One tracking run",
      tags,
      responses: { ...runDoc, "404": { description: "No such dataset or run.", content: HTTPError } },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      sendJson(res, 200, serviceOf(ctx).get(handle.id, param(req.params, "job_id")));
    },
  );
  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/inference/datasets/{dataset_id}/track/jobs/{job_id}/cancel",
      operationId: "cancel_tracking_run",
      summary: "Cancel a tracking run: it stops between two frames; keyframes already proposed stay",
      tags,
      responses: { ...runDoc, "404": { description: "No such dataset or run.", content: HTTPError } },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      sendJson(res, 200, serviceOf(ctx).cancel(handle.id, param(req.params, "job_id")));
    },
  );
  return router;
}

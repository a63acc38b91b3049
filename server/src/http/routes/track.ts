import type { Router } from "express";
import { Type } from "@sinclair/typebox";
import { MAX_TRACK_FRAMES, TrackRunError, type TrackService } from "../../inference/track/TrackService.js";
import { param, type AppContext } from "../context.js";
import type { ErrorMapper } from "../errors.js";
import { jobErrorMapper, jobRouter } from "../jobRoutes.js";
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

export const mapTrackError: ErrorMapper = jobErrorMapper(TrackRunError);

export function trackRouter(ctx: AppContext): Router {
  return jobRouter(ctx, {
    service: (c: AppContext): TrackService | undefined => c.track,
    offDetail: "Tracking needs the inference worker and live records.",
    start: {
      path: "/inference/datasets/{dataset_id}/records/{record_id}/track",
      operationId: "create_tracking_run",
      summary: "Propagate a track's box to the next frames with a tracker, as proposed keyframes",
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
      run: (service, handle, body, req) =>
        service.start(
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
        ),
    },
    list: {
      path: "/inference/datasets/{dataset_id}/records/{record_id}/track/jobs",
      operationId: "list_tracking_runs",
      summary: "The record's tracking runs, most recent first",
      description: "The runs.",
      list: (service, datasetId, req) => service.list(datasetId, param(req.params, "record_id")),
    },
    get: {
      path: "/inference/datasets/{dataset_id}/track/jobs/{job_id}",
      operationId: "get_tracking_run",
      summary: "One tracking run",
    },
    cancel: {
      path: "/inference/datasets/{dataset_id}/track/jobs/{job_id}/cancel",
      operationId: "cancel_tracking_run",
      summary: "Cancel a tracking run: it stops between two frames; keyframes already proposed stay",
    },
    jobDescription: "The run (the job shape, `kind: track`).",
    notFound: "No such dataset or run.",
  });
}

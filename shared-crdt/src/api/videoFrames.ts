import { Type } from "@sinclair/typebox";

/**
 * The video-file frame routes (`GET /datasets/{id}/videos/{video_id}/frames[/{frame_index}]`):
 * frames of a `videos` row decoded by the server's ffmpeg. Declared once for the server's
 * validation and `/openapi.json` and for the web client, which sizes its batches by the limit.
 */

/** Frames one batch request may ask for (each is one decoded JPEG held by the server until sent). */
export const VIDEO_FRAME_BATCH_MAX = 32;

/** Frames a batch request carries when it does not say. */
export const VIDEO_FRAME_BATCH_DEFAULT = 16;

export const VideoFrameStart = Type.Integer({ minimum: 0, default: 0, description: "First frame (0-based)." });

export const VideoFrameBatchSize = Type.Integer({
  minimum: 1,
  maximum: VIDEO_FRAME_BATCH_MAX,
  default: VIDEO_FRAME_BATCH_DEFAULT,
  description: `Consecutive frames to decode (at most ${VIDEO_FRAME_BATCH_MAX}).`,
});

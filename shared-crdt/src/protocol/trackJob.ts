import type { PreannotateJob } from "./preannotateJob.js";

/**
 * A tracking run as REST answers it and the live channel's `job:progress` event carries it: the
 * job shape of the pre-annotation jobs (`job_id`, `kind`, `dataset`, `status`, `progress`,
 * `error`, times in Unix seconds) with `kind: "track"`, the record and track it propagates, and
 * the frames it covers. Each tracked frame is written at once as a proposed keyframe.
 */
export type TrackJobStatus = "running" | "done" | "error" | "cancelled";

export interface TrackJob {
  readonly job_id: string;
  readonly kind: "track";
  readonly dataset: string;
  readonly record_id: string;
  readonly tracklet_id: string;
  readonly status: TrackJobStatus;
  readonly model: string;
  /** The frame the box is taken from (a frame showing the track). */
  readonly start_frame: number;
  /** At most this many frames after the start are proposed. */
  readonly max_frames: number;
  /** A frame whose tracker confidence is under this ends the run (not written). */
  readonly min_score: number;
  /** The segmentation model drawing a mask in each tracked box (the track has masks), or null: boxes only. */
  readonly segmentation_model: string | null;
  readonly progress: {
    readonly phase: string;
    /** Frames proposed so far. */
    readonly done: number;
    readonly total: number;
    readonly unit: "frames";
    /** The last frame proposed (the start frame before the first). */
    readonly frame: number;
    /** `keyframes` (boxes) and `masks` written. */
    readonly table_counts: Readonly<Record<string, number>>;
    readonly stopped_by: "" | "score" | "keyframe" | "end_of_video" | "max_frames" | "cancel" | "track_gone";
    readonly message: string;
    readonly final: boolean;
  };
  readonly error: { readonly type: string; readonly message: string } | Record<string, never>;
  readonly created_by: string;
  readonly created_at: number;
  readonly updated_at: number;
}

/** What the live channel's `job:progress` carries: a pre-annotation job or a tracking run. */
export type LiveJob = PreannotateJob | TrackJob;

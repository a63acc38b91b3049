import { randomUUID } from "node:crypto";
import path from "node:path";
import type { DatasetHandle } from "@tessera/dataset";
import type { FrameRef, TrackBox, TrackJob } from "@tessera/shared-crdt";
import type { RecordDocsPort, RestIdentity } from "../../http/recordDocs.js";
import { silentLogger, type Logger } from "../../logger.js";
import { InferenceError } from "../InferenceError.js";
import type { InferenceService } from "../InferenceService.js";
import { VideoFrameService } from "../../video/videoFrameService.js";
import { JobPacing } from "../jobPacing.js";
import { FrameBatch } from "./frameBatch.js";
import { framesOfTrack, type FrameImage, type TrackFrames } from "./frames.js";
import { boxAt, nextFixedKeyframe, readTrack, type TrackedMask, type TrackInDoc } from "./keyframes.js";
import { trackerModel } from "./trackerModel.js";

/**
 * Tracking assist on video: a tracker export propagates a track's box from a frame to the next
 * ones, each tracked frame written into the record document as a proposed keyframe
 * (`keyframes.ts`), seen live by every editor and folded into LanceDB like any edit. The worker
 * gets one frame at a time at background priority (a click never waits behind a run), as its
 * file: the worker decodes it, the server reads only its header (`frames.ts`); the next frame is
 * read while the worker tracks the current one. The run tracks ahead of its writes:
 * the frames tracked in the last {@link DEFAULT_WRITE_EVERY_MS} (at most {@link MAX_BATCH_FRAMES})
 * go into the document in one transaction, so editors pay one document write per batch, not per
 * frame; while people edit, a run tracks at half its pace and writes in slices of two frames
 * (`frameBatch.ts`, {@link frameGapMs}). The stop rules stay per frame: a confidence under the threshold (that frame is not
 * written; the ones before it are), a keyframe it must not overwrite (checked on each frame in
 * the write's transaction, so one a person adds while the run tracks ahead stops it there), the
 * end of the video, `max_frames`, the track deleted, or cancel (checked between frames and in the
 * write's transaction: tracked frames not yet written when a cancel is answered are dropped). Progress goes to
 * `onChange` (the live channel's `job:progress`) at most every {@link PROGRESS_EVERY_MS} and at
 * each end. Runs are kept in memory (the last {@link KEPT_RUNS}); a server stop cancels them.
 */
export interface TrackServiceOptions {
  /** `DATA_DIR`: video files are read from its `media/` folder. */
  readonly dataDir: string;
  readonly inference: InferenceService;
  readonly docs: RecordDocsPort;
  readonly logger?: Logger;
  readonly onChange?: (job: TrackJob) => void;
  /**
   * At most this many frames a second per run (default {@link DEFAULT_MAX_FPS}; 0 or Infinity: no
   * pacing), half as many while people edit. Each frame costs the event loop a document write and its relay; unpaced, a tiny model
   * tracks 50–60 frames a second and the editors' confirmations wait behind those writes.
   */
  readonly maxFramesPerSecond?: number;
  /**
   * A run writes the frames it tracked together, in one document transaction, at most this often
   * (default {@link DEFAULT_WRITE_EVERY_MS}) or every {@link MAX_BATCH_FRAMES} frames: each write
   * costs the event loop a copy of the document, a check and a log append, whatever its size.
   */
  readonly writeEveryMs?: number;
}

export class TrackRunError extends Error {
  override name = "TrackRunError";
  constructor(
    readonly reason: "not_found" | "bad_request" | "conflict",
    message: string,
  ) {
    super(message);
  }
}

export const MAX_TRACK_FRAMES = 1000;
/** Runs at once on a server; one more is refused (409) until one ends. */
const RUNNING_PER_SERVER = 4;
const KEPT_RUNS = 200;
const PROGRESS_EVERY_MS = 250;
/** A person reviews proposals far slower than this; it keeps a run's share of the event loop small. */
const DEFAULT_MAX_FPS = 20;
/** While people edit, the gap between two frames of a run is this many times the unhurried one. */
const ACTIVE_GAP_FACTOR = 2;

/**
 * The least time between the starts of two frames of a run paced at `maxFps` (0 or Infinity: no
 * pacing); while people edit, twice as long — a run's decodes, worker steps and writes share the
 * machine's cores with the editors' event loop, and a person reviews proposals far slower anyway.
 */
export function frameGapMs(maxFps: number, editorsActive: boolean): number {
  if (!(maxFps > 0) || !Number.isFinite(maxFps)) return 0;
  return (1000 / maxFps) * (editorsActive ? ACTIVE_GAP_FACTOR : 1);
}
/** How often a run writes what it tracked (one transaction): a person sees proposals come in this step. */
const DEFAULT_WRITE_EVERY_MS = 250;
/** Frames of one write at most (an unpaced run). */
const MAX_BATCH_FRAMES = 16;
/** Frames are sent to the worker with their longest side at most this (boxes stay in view pixels). */
const WORK_SIDE = 1024;

interface Running {
  cancelled: boolean;
  done: Promise<void>;
}

const now = () => Date.now() / 1000;

export class TrackService {
  private readonly jobs = new Map<string, TrackJob>();
  private readonly running = new Map<string, Running>();
  private readonly lastEmit = new Map<string, number>();
  private readonly logger: Logger;
  private closed = false;
  /** ffmpeg decoding for tracks on video files (its own bounds), made at the first such run. */
  private video: VideoFrameService | null = null;

  constructor(private readonly options: TrackServiceOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  list(datasetId: string, recordId?: string): TrackJob[] {
    return [...this.jobs.values()]
      .filter((j) => j.dataset === datasetId && (recordId === undefined || j.record_id === recordId))
      .sort((a, b) => b.created_at - a.created_at);
  }

  get(datasetId: string, jobId: string): TrackJob {
    const j = this.jobs.get(jobId);
    if (!j || j.dataset !== datasetId) throw new TrackRunError("not_found", `Tracking run '${jobId}' not found.`);
    return j;
  }

  /** Checks the model, the record and the track, then starts the run. */
  async start(
    handle: DatasetHandle,
    recordId: string,
    input: {
      model: string;
      trackletId: string;
      startFrame?: number;
      maxFrames: number;
      minScore?: number;
      /** The segmentation model for the masks (default: the first registered one, when the track has masks). */
      segmentationModel?: string;
    },
    who: RestIdentity,
  ): Promise<TrackJob> {
    if (this.closed) throw new TrackRunError("conflict", "the server is shutting down");
    const model = await this.options.inference.model(input.model);
    const tracker = trackerModel(model);
    const busy = [...this.jobs.values()].filter((j) => j.status === "running");
    if (busy.some((j) => j.tracklet_id === input.trackletId && j.dataset === handle.id))
      throw new TrackRunError(
        "conflict",
        `Track '${input.trackletId}' is already being tracked; cancel that run first.`,
      );
    if (busy.length >= RUNNING_PER_SERVER)
      throw new TrackRunError("conflict", `${busy.length} tracking runs are going on; try again when one ends.`);
    if ((await handle.getMany("records", [recordId], ["id"])).length === 0)
      throw new TrackRunError("not_found", `Record '${recordId}' not found in dataset '${handle.id}'.`);
    let track: TrackInDoc | null = null;
    await this.options.docs.edit(handle.id, recordId, who, (doc) => {
      track = readTrack(doc, input.trackletId);
    });
    const found = track as TrackInDoc | null;
    if (!found) throw new TrackRunError("not_found", `Track '${input.trackletId}' not found in record '${recordId}'.`);
    const last = found.keyframes[found.keyframes.length - 1];
    const startFrame = input.startFrame ?? last?.frameIndex;
    if (startFrame === undefined)
      throw new TrackRunError("bad_request", "The track has no box keyframe to start from.");
    if (startFrame < found.start || startFrame > found.end)
      throw new TrackRunError(
        "bad_request",
        `Frame ${startFrame} is outside the track (frames ${found.start}–${found.end}): start on a frame it shows.`,
      );
    const frames = await framesOfTrack({
      handle,
      recordId,
      viewId: found.viewId,
      video: () => (this.video ??= new VideoFrameService()),
      mediaDir: path.resolve(this.options.dataDir, "media"),
      maxSide: WORK_SIDE,
    });
    if (!frames.frames.has(startFrame)) {
      frames.close();
      throw new TrackRunError("bad_request", `The track's view has no frame ${startFrame}.`);
    }
    const segmentation = await this.segmentationFor(found, frames, input.segmentationModel);
    const job: TrackJob = {
      job_id: randomUUID(),
      kind: "track",
      dataset: handle.id,
      record_id: recordId,
      tracklet_id: input.trackletId,
      status: "running",
      model: model.name,
      start_frame: startFrame,
      max_frames: input.maxFrames,
      min_score: input.minScore ?? tracker.scoreThreshold,
      segmentation_model: segmentation,
      progress: {
        phase: "tracking",
        done: 0,
        total: input.maxFrames,
        unit: "frames",
        frame: startFrame,
        table_counts: { keyframes: 0, masks: 0 },
        stopped_by: "",
        message: "",
        final: false,
      },
      error: {},
      created_by: who.id,
      created_at: now(),
      updated_at: now(),
    };
    this.put(job, true);
    const state: Running = { cancelled: false, done: Promise.resolve() };
    state.done = this.run(job, handle, tracker.spec, found, frames, who, state).catch((err: unknown) => {
      this.logger.error("tracking run crashed", { job: job.job_id, error: (err as Error).message });
    });
    this.running.set(job.job_id, state);
    return job;
  }

  /**
   * The segmentation model drawing the masks: the one asked for (it must be a segmentation model),
   * else the first registered, when the track has mask keyframes (on an image sequence's frames or
   * a video file's); null: boxes only (no masks on the track, or none registered).
   */
  private async segmentationFor(track: TrackInDoc, frames: TrackFrames, asked?: string): Promise<string | null> {
    if (asked !== undefined) {
      const m = await this.options.inference.model(asked);
      if (m.manifest.task !== "segmentation")
        throw new TrackRunError(
          "bad_request",
          `Model '${asked}' is a ${m.manifest.task} model, not a segmentation model.`,
        );
    }
    if (!track.hasMasks || frames.frames.size === 0) return null;
    if (asked !== undefined) return asked;
    const models = await this.options.inference.models();
    return models.find((m) => m.manifest.task === "segmentation")?.name ?? null;
  }

  /** Stops a run between two frames; what it wrote stays. A run already ended is answered as it is. */
  cancel(datasetId: string, jobId: string): TrackJob {
    const job = this.get(datasetId, jobId);
    const r = this.running.get(jobId);
    if (r) r.cancelled = true;
    return job;
  }

  /** Waits for a run to end (tests and shutdown). */
  async settled(jobId: string): Promise<void> {
    await this.running.get(jobId)?.done;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.running.values()) r.cancelled = true;
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    this.video?.close();
  }

  private async run(
    initial: TrackJob,
    handle: DatasetHandle,
    spec: ReturnType<typeof trackerModel>["spec"],
    track: TrackInDoc,
    frames: TrackFrames,
    who: RestIdentity,
    state: Running,
  ): Promise<void> {
    const jobId = initial.job_id;
    const worker = this.options.inference.worker;
    let done = 0;
    let masks = 0;
    let frameNow = initial.start_frame;
    const finish = (
      status: TrackJob["status"],
      stoppedBy: TrackJob["progress"]["stopped_by"],
      message: string,
      errorType = "",
    ) => {
      const job = this.jobs.get(jobId) ?? initial;
      this.put(
        {
          ...job,
          status,
          progress: {
            ...job.progress,
            done,
            frame: frameNow,
            table_counts: { keyframes: done, masks },
            phase: status,
            stopped_by: stoppedBy,
            message,
            final: true,
          },
          error: status === "error" ? { type: errorType || "error", message } : {},
          updated_at: now(),
        },
        true,
      );
    };
    try {
      const start = await frames.read(initial.start_frame);
      let box: TrackBox | null = boxAt(track, initial.start_frame, start.size);
      if (!box) throw new TrackRunError("bad_request", `The track shows no box on frame ${initial.start_frame}.`);
      const { template } = await worker.trackTemplate({
        type: "track_template",
        model: spec,
        viewSize: start.size,
        image: start.image,
        box,
      });
      const fixed = nextFixedKeyframe(track, initial.start_frame, initial.model);
      const lastFrame = initial.start_frame + initial.max_frames;
      const readAt = (f: number) => {
        const fr = frames.frames.get(f);
        if (!fr || f > lastFrame || (fixed !== null && f >= fixed)) return null;
        const p = frames.read(f);
        // Read (or its failure) only when this frame's turn comes; an unused prefetch is not an error.
        p.catch(() => undefined);
        return { fr, p };
      };
      let next = readAt(initial.start_frame + 1);
      const fps = this.options.maxFramesPerSecond ?? DEFAULT_MAX_FPS;
      const pacing = new JobPacing();
      const batch = new FrameBatch({
        docs: this.options.docs,
        datasetId: handle.id,
        recordId: initial.record_id,
        schema: handle.schema,
        who,
        run: { trackletId: initial.tracklet_id, model: initial.model, jobId },
        everyMs: this.options.writeEveryMs ?? DEFAULT_WRITE_EVERY_MS,
        maxFrames: MAX_BATCH_FRAMES,
        cancelled: () => state.cancelled,
        pacing,
      });
      /** Writes the waiting frames; "ended" when a stop rule met while writing ended the run. */
      const write = async (): Promise<"ended" | null> => {
        const w = await batch.write();
        for (const t of w.frames) {
          done++;
          if (t.mask) masks++;
          frameNow = t.frame.index;
          this.progress(jobId, done, masks, t.frame.index);
        }
        if (w.stop === "cancelled") {
          finish("cancelled", "cancel", `cancelled after ${done} frames`);
          return "ended";
        }
        if (w.stop === "track_gone") {
          finish("cancelled", "track_gone", `the track was deleted after ${done} frames`);
          return "ended";
        }
        if (w.stop === "keyframe") {
          finish("done", "keyframe", `${done} frames, up to the keyframe on ${w.at}`);
          return "ended";
        }
        return null;
      };
      /** Writes what waits, then ends the run as said unless the write met a stop rule first. */
      const writeThenFinish = async (...end: Parameters<typeof finish>): Promise<void> => {
        if ((await write()) === null) finish(...end);
      };
      const cancelled = () => {
        // What was tracked and not written yet is dropped: nothing is written after a cancel.
        batch.drop();
        finish("cancelled", "cancel", `cancelled after ${done} frames`);
      };
      let frameStartedAt = performance.now();
      for (let f = initial.start_frame + 1; ; f++) {
        const wait = frameStartedAt + frameGapMs(fps, pacing.editorsActive()) - performance.now();
        if (wait > 1) await new Promise<void>((resolve) => setTimeout(resolve, wait));
        frameStartedAt = performance.now();
        if (state.cancelled) return cancelled();
        if (fixed !== null && f >= fixed)
          return writeThenFinish("done", "keyframe", `${done + batch.size} frames, up to the keyframe on ${fixed}`);
        if (f > lastFrame)
          return writeThenFinish("done", "max_frames", `${done + batch.size} frames (the maximum asked)`);
        const current = next;
        if (!current)
          return writeThenFinish("done", "end_of_video", `${done + batch.size} frames, to the end of the video`);
        const frame = await current.p;
        next = readAt(f + 1);
        const step = await worker.trackStep({
          type: "track_step",
          model: spec,
          viewSize: frame.size,
          image: frame.image,
          box,
          template,
        });
        if (state.cancelled) return cancelled();
        if (step.score < initial.min_score)
          return writeThenFinish(
            "done",
            "score",
            `${done + batch.size} frames; the object was lost on frame ${f} (confidence ${step.score.toFixed(2)})`,
          );
        const tracked = step.box;
        const mask = initial.segmentation_model
          ? await this.maskIn(handle.id, initial.segmentation_model, frames, current.fr, frame, tracked)
          : undefined;
        if (state.cancelled) return cancelled();
        batch.add({ frame: current.fr, size: frame.size, box: tracked, score: step.score, ...(mask ? { mask } : {}) });
        box = tracked;
        if (batch.due() && (await write()) !== null) return;
      }
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      if (this.closed && err instanceof InferenceError && err.reason === "closed")
        return finish("cancelled", "cancel", `the server stopped after ${done} frames`);
      const type = err instanceof InferenceError || err instanceof TrackRunError ? err.reason : "error";
      finish("error", "", err.message, type);
    } finally {
      frames.close();
      this.running.delete(jobId);
      this.lastEmit.delete(jobId);
    }
  }

  /**
   * The segmentation model's mask in the tracked box (background priority, like the tracker's
   * frames): on an image sequence's frame by its view id; on a video file's frame from the pixels
   * the run read (a video file's frame has no view row), the embedding cached in the worker
   * under the frame's key (`videoFrameKey`: the video row, its file's identity, the frame index).
   */
  private async maskIn(
    datasetId: string,
    model: string,
    frames: TrackFrames,
    ref: FrameRef,
    frame: FrameImage,
    box: TrackBox,
  ): Promise<TrackedMask> {
    const [x, y, w, h] = box;
    const prompt = { points: [], labels: [], box: [x, y, x + w, y + h] as const };
    const key = frames.pixelsKey(ref.index);
    const r =
      key === null
        ? await this.options.inference.segment({ model, datasetId, viewId: ref.id, prompt, priority: "job" })
        : await this.options.inference.segmentPixels({
            model,
            key,
            size: frame.size,
            pixels: () => Promise.resolve(frame.image),
            prompt,
            priority: "job",
          });
    return { model, size: r.mask.size, counts: r.mask.counts, score: r.score };
  }

  private progress(jobId: string, done: number, masks: number, frame: number): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    const next: TrackJob = {
      ...job,
      progress: { ...job.progress, done, frame, table_counts: { keyframes: done, masks } },
      updated_at: now(),
    };
    const emit = performance.now() - (this.lastEmit.get(jobId) ?? 0) >= PROGRESS_EVERY_MS;
    this.put(next, emit);
  }

  private put(job: TrackJob, emit: boolean): void {
    this.jobs.set(job.job_id, job);
    if (this.jobs.size > KEPT_RUNS) {
      for (const [id, j] of this.jobs) {
        if (this.jobs.size <= KEPT_RUNS) break;
        if (j.progress.final) this.jobs.delete(id);
      }
    }
    if (!emit) return;
    this.lastEmit.set(job.job_id, performance.now());
    this.options.onChange?.(job);
  }
}

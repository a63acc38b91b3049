import type { VideoResponse } from "@tessera/shared-crdt/api";
import { queryString, requestJson } from "../../api/http.js";
import type { Page, ViewItem } from "../../api/types.js";
import type { FrameLookup, VideoFrameInfo } from "../../canvas/types.js";

/**
 * A video record's frames, listed once when the record opens: per logical view, by frame index.
 * A view is either frames stored one row each (`sequence_frames`: only the rows' metadata is
 * listed, no bytes) or one video file (a `videos` row: its frames are `num_frames` at `fps` from
 * `from_timestamp`, decoded by the server). The images come through the frame cache.
 */
export interface VideoFrame extends VideoFrameInfo {
  /** URL of the frame's bytes (the blob route). */
  readonly src: string;
}

/** A view stored as one video file (a `videos` row). */
export interface VideoFileView {
  /** The `videos` row id (what per-frame rows carry in `view_id`). */
  readonly id: string;
  readonly logicalName: string;
  readonly count: number;
  readonly fps: number;
  /** Seconds into the file of frame 0. */
  readonly from: number;
  /** The frames route of the row: `…/videos/{id}/frames`. */
  readonly route: string;
}

export class FrameList implements FrameLookup {
  private readonly ids = new Map<string, VideoFrame>();
  private readonly views = new Map<string, VideoFrame[]>();
  private readonly files = new Map<string, VideoFileView>();
  private readonly fileIds = new Map<string, VideoFileView>();
  /** Frames per view (the longest view): the timeline's length. */
  readonly count: number;
  /** Frames per second: a video file's own rate, else from the frames' timestamps (Pixano's default 24). */
  readonly fps: number;

  constructor(frames: readonly VideoFrame[], files: readonly VideoFileView[] = []) {
    for (const f of files) {
      this.files.set(f.logicalName, f);
      this.fileIds.set(f.id, f);
    }
    for (const f of frames) {
      this.ids.set(f.id, f);
      let list = this.views.get(f.logicalName);
      if (!list) this.views.set(f.logicalName, (list = []));
      list.push(f);
    }
    let count = 0;
    for (const list of this.views.values()) {
      list.sort((a, b) => a.index - b.index);
      count = Math.max(count, (list[list.length - 1]?.index ?? -1) + 1);
    }
    for (const f of files) count = Math.max(count, f.count);
    this.count = count;
    const file = files.find((f) => f.fps > 0);
    this.fps = file ? file.fps : fpsOf(this.views.values().next().value ?? []);
  }

  /** Whether a view is a video file (its batches are decoded by the server: larger ones pay off). */
  get hasFiles(): boolean {
    return this.files.size > 0;
  }

  /** A frame by the id per-frame rows point to: a frame row, or a video file's row (its frame 0). */
  byId(frameId: string): VideoFrame | undefined {
    const file = this.fileIds.get(frameId);
    return file ? this.fileFrame(file, 0) : this.ids.get(frameId);
  }

  /** Frame `index` of a video file: the `videos` row's id, no frame row of its own (`frameId` ""). */
  private fileFrame(file: VideoFileView, index: number): VideoFrame | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= file.count) return undefined;
    return {
      id: file.id,
      frameId: "",
      logicalName: file.logicalName,
      index,
      timestamp: file.from + index / file.fps,
      src: `${file.route}/${index}`,
    };
  }

  /** The URL of `size` frames of a view from `start`, one multipart body (the frame cache's batches). */
  batchUrl(datasetId: string, recordId: string, view: string, start: number, size: number): string {
    const file = this.files.get(view);
    if (file) return `${file.route}${queryString({ start_frame: start, batch_size: size })}`;
    return (
      `/datasets/${encodeURIComponent(datasetId)}/records/${encodeURIComponent(recordId)}/sframes/batch` +
      queryString({ view_name: view, start_frame: start, batch_size: size })
    );
  }

  at(logicalName: string, index: number): VideoFrame | undefined {
    const file = this.files.get(logicalName);
    if (file) return this.fileFrame(file, index);
    const list = this.views.get(logicalName);
    if (!list) return undefined;
    // Frame indexes are contiguous from 0 in Pixano's builders: try the direct slot first.
    const direct = list[index];
    if (direct?.index === index) return direct;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const f = list[mid];
      if (!f) break;
      if (f.index === index) return f;
      if (f.index < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  viewNames(): string[] {
    return [...this.views.keys(), ...[...this.files.keys()].filter((v) => !this.views.has(v))];
  }

  /** The time of a frame in seconds (from the frames' rate). */
  seconds(index: number): number {
    return index / this.fps;
  }
}

/**
 * Frames per second from timestamps: the median step between consecutive frames. Pixano 0.7's
 * builder wrote milliseconds and 0.8 seconds, so a step above one is read as milliseconds.
 */
export function fpsOf(frames: readonly VideoFrameInfo[]): number {
  const steps: number[] = [];
  for (let i = 1; i < frames.length && steps.length < 200; i++) {
    const a = frames[i - 1];
    const b = frames[i];
    if (!a || !b || b.index !== a.index + 1) continue;
    const d = b.timestamp - a.timestamp;
    if (d > 0 && Number.isFinite(d)) steps.push(d);
  }
  if (steps.length === 0) return 24;
  steps.sort((x, y) => x - y);
  const step = steps[steps.length >> 1] ?? 0;
  const fps = step >= 1 ? 1000 / step : 1 / step;
  return fps > 0 && fps <= 1000 ? Math.round(fps * 1000) / 1000 : 24;
}

const PAGE = 1000;

/** A `videos` row as a view of the frame list (null when it says no frame count or rate). */
function videoFileView(datasetId: string, v: VideoResponse): VideoFileView | null {
  const count = v.num_frames ?? 0;
  const fps = v.fps ?? 0;
  if (!(count > 0) || !(fps > 0)) return null;
  return {
    id: v.id,
    logicalName: v.logical_name ?? "",
    count,
    fps,
    from: Math.max(0, v.from_timestamp ?? 0),
    route: `/datasets/${encodeURIComponent(datasetId)}/videos/${encodeURIComponent(v.id)}/frames`,
  };
}

/**
 * Lists a record's frames (pages of 1000, metadata only) of the view tables the dataset has:
 * `sequence_frames` rows and `videos` rows.
 */
export async function listFrames(
  datasetId: string,
  recordId: string,
  tables: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<FrameList> {
  const out: VideoFrame[] = [];
  const files: VideoFileView[] = [];
  const record = `/datasets/${encodeURIComponent(datasetId)}/records/${encodeURIComponent(recordId)}`;
  if (tables.has("videos")) {
    const page = await requestJson<Page<VideoResponse>>(`${record}/videos${queryString({ limit: PAGE })}`, {
      ...(signal ? { signal } : {}),
    });
    for (const v of page.items) {
      const view = videoFileView(datasetId, v);
      if (view) files.push(view);
    }
  }
  if (!tables.has("sequence_frames")) return new FrameList(out, files);
  const base = `${record}/sframes`;
  for (let offset = 0; ; offset += PAGE) {
    const page = await requestJson<Page<ViewItem>>(`${base}${queryString({ limit: PAGE, offset })}`, {
      ...(signal ? { signal } : {}),
    });
    for (const v of page.items)
      out.push({
        id: v.id,
        logicalName: v.logical_name ?? "",
        index: v.frame_index ?? 0,
        timestamp: v.timestamp ?? -1,
        src: v.src,
      });
    if (page.items.length < PAGE || offset + PAGE >= page.total) break;
  }
  return new FrameList(out, files);
}

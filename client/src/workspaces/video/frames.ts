import { queryString, requestJson } from "../../api/http.js";
import type { Page, ViewItem } from "../../api/types.js";
import type { FrameLookup, VideoFrameInfo } from "../../canvas/types.js";

/**
 * A video record's frames (`sequence_frames` rows), listed once when the record opens: per
 * logical view, by frame index. Only the rows' metadata is listed (no bytes); the images come
 * through the frame cache.
 */
export interface VideoFrame extends VideoFrameInfo {
  /** URL of the frame's bytes (the blob route). */
  readonly src: string;
}

export class FrameList implements FrameLookup {
  private readonly ids = new Map<string, VideoFrame>();
  private readonly views = new Map<string, VideoFrame[]>();
  /** Frames per view (the longest view): the timeline's length. */
  readonly count: number;
  /** Frames per second, from the frames' timestamps (Pixano's default 24 when they say nothing). */
  readonly fps: number;

  constructor(frames: readonly VideoFrame[]) {
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
    this.count = count;
    this.fps = fpsOf(this.views.values().next().value ?? []);
  }

  byId(frameId: string): VideoFrame | undefined {
    return this.ids.get(frameId);
  }

  at(logicalName: string, index: number): VideoFrame | undefined {
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
    return [...this.views.keys()];
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

/** Lists every frame row of a record (pages of 1000, metadata only). */
export async function listFrames(datasetId: string, recordId: string, signal?: AbortSignal): Promise<FrameList> {
  const out: VideoFrame[] = [];
  const base = `/datasets/${encodeURIComponent(datasetId)}/records/${encodeURIComponent(recordId)}/sframes`;
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
  return new FrameList(out);
}

import type { VideoFrameInfo } from "../../canvas/types.js";
import type { FrameList } from "./frames.js";
import { parseFrameBatch } from "./multipart.js";

/**
 * Decoded frames of a video record around the playhead. Frames arrive in batches from the frame
 * batch route (one request for `batch` frames of a view, as Pixano's frame worker reads them), or
 * for a video file from the server's frames route (the same multipart body, decoded by ffmpeg);
 * a frame the batch does not carry (stored by `uri`, not embedded) is fetched alone from its blob
 * route. Frames are known by view and index (a video file's frames share the row's id). Decoded images are kept in a least-recently-used cache of `capacity` frames; the window
 * around the playhead (`behind`/`ahead`) is prefetched and never evicted, so the frame on screen
 * is never closed under the canvas.
 */
export interface FrameCacheOptions {
  readonly capacity: number;
  readonly behind: number;
  readonly ahead: number;
  readonly batch: number;
}

const DEFAULTS: FrameCacheOptions = { capacity: 240, behind: 8, ahead: 40, batch: 16 };

export class FrameCache {
  private readonly images = new Map<string, { readonly img: ImageBitmap; readonly index: number }>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly options: FrameCacheOptions;
  private playhead = 0;
  private destroyed = false;
  /** Frames decoded, and requests made (the benchmark reads them). */
  readonly stats = { decoded: 0, batches: 0, singles: 0 };
  /** Called once with what went wrong when the server cannot give frames (e.g. it has no ffmpeg). */
  onFailure: ((message: string) => void) | null = null;
  private failed = false;

  constructor(
    private readonly datasetId: string,
    private readonly recordId: string,
    private readonly frames: FrameList,
    options: Partial<FrameCacheOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * The decoded image of a frame: at once when cached; once its batch has arrived when that batch
   * is on its way; else fetched alone (one frame is faster to fetch and decode than its batch of
   * 16 — measured in load-tests/RESULTS.md — and the prefetch brings its neighbours).
   */
  image(frame: VideoFrameInfo): ImageBitmap | Promise<ImageBitmap> {
    const got = this.take(frame);
    if (got) return got;
    const pending = this.loading.get(this.batchKey(frame));
    if (!pending) return this.single(frame);
    return pending.then(() => this.take(frame) ?? this.single(frame));
  }

  private batchKey(frame: VideoFrameInfo): string {
    return `${frame.logicalName}\u0000${frame.index - (frame.index % this.options.batch)}`;
  }

  has(frame: VideoFrameInfo): boolean {
    return this.images.has(keyOf(frame));
  }

  /** Moves the window: prefetches the frames around `index` of every view. */
  setPlayhead(index: number): void {
    this.playhead = index;
    const { behind, ahead, batch } = this.options;
    const from = Math.max(0, index - behind);
    const to = Math.min(this.frames.count - 1, index + ahead);
    for (const view of this.frames.viewNames())
      for (let start = from - (from % batch); start <= to; start += batch) {
        const f = this.frames.at(view, Math.max(start, from));
        if (f && !this.has(f)) void this.load(f).catch((err: unknown) => this.report(err));
      }
    this.evict();
  }

  private take(frame: VideoFrameInfo): ImageBitmap | undefined {
    const key = keyOf(frame);
    const got = this.images.get(key);
    if (got) {
      // Most recently used last.
      this.images.delete(key);
      this.images.set(key, got);
    }
    return got?.img;
  }

  /** Loads the batch holding `frame` (one request per batch, shared by everyone waiting on it). */
  private load(frame: VideoFrameInfo): Promise<void> {
    const start = frame.index - (frame.index % this.options.batch);
    const key = this.batchKey(frame);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const p = this.fetchBatch(frame.logicalName, start).finally(() => this.loading.delete(key));
    this.loading.set(key, p);
    return p;
  }

  private async fetchBatch(view: string, start: number): Promise<void> {
    const url = this.frames.batchUrl(this.datasetId, this.recordId, view, start, this.options.batch);
    this.stats.batches++;
    const res = await fetch(url, { credentials: "same-origin" });
    // 404: no embedded frame in this range (frames stored by uri): each is then fetched alone.
    if (res.status === 404) return;
    if (!res.ok) throw new FrameFetchError(`frames ${start}+ of ${view}`, res.status, await detailOf(res));
    const parts = parseFrameBatch(new Uint8Array(await res.arrayBuffer()));
    await Promise.all(
      parts.map(async (p) => {
        const f = this.frames.at(view, p.frameIndex);
        if (!f || this.has(f)) return;
        const img = await createImageBitmap(new Blob([p.bytes as BlobPart], { type: p.contentType }));
        this.put(f, img);
      }),
    );
    this.evict();
  }

  private async single(frame: VideoFrameInfo): Promise<ImageBitmap> {
    const f = this.frames.at(frame.logicalName, frame.index);
    if (!f) throw new Error(`no frame ${frame.index} of ${frame.logicalName}`);
    this.stats.singles++;
    try {
      const res = await fetch(f.src, { credentials: "same-origin" });
      if (!res.ok) throw new FrameFetchError(`frame ${frame.index}`, res.status, await detailOf(res));
      const img = await createImageBitmap(await res.blob());
      this.put(frame, img);
      return img;
    } catch (err) {
      this.report(err);
      throw err;
    }
  }

  private put(frame: VideoFrameInfo, img: ImageBitmap): void {
    if (this.destroyed) {
      img.close();
      return;
    }
    const key = keyOf(frame);
    this.images.get(key)?.img.close();
    this.images.set(key, { img, index: frame.index });
    this.stats.decoded++;
  }

  /** The first failure the server explains (4xx/5xx with a detail) reaches the person once; all go to the console. */
  private report(err: unknown): void {
    if (err instanceof FrameFetchError && !this.failed && this.onFailure) {
      this.failed = true;
      this.onFailure(err.detail);
    }
    reportOnce(err);
  }

  /** Drops the least recently used frames beyond the capacity, never one inside the window. */
  private evict(): void {
    const { capacity, behind, ahead } = this.options;
    if (this.images.size <= capacity) return;
    for (const [key, { img, index }] of this.images) {
      if (this.images.size <= capacity) break;
      if (index >= this.playhead - behind && index <= this.playhead + ahead) continue;
      img.close();
      this.images.delete(key);
    }
  }

  destroy(): void {
    this.destroyed = true;
    for (const { img } of this.images.values()) img.close();
    this.images.clear();
  }
}

/** A frame (or batch) the server refused, with its `{"detail"}`. */
class FrameFetchError extends Error {
  override readonly name = "FrameFetchError";
  constructor(
    what: string,
    readonly status: number,
    readonly detail: string,
  ) {
    super(`${what}: HTTP ${status}: ${detail}`);
  }
}

/** The `detail` of an error answer, else its status text. */
async function detailOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { detail?: unknown };
    if (typeof body.detail === "string") return body.detail;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  return res.statusText || `HTTP ${res.status}`;
}

function keyOf(frame: VideoFrameInfo): string {
  return `${frame.logicalName}\u0000${frame.index}`;
}

let reported = false;
function reportOnce(err: unknown): void {
  if (reported) return;
  reported = true;
  console.error("video: frames could not be prefetched", err);
}

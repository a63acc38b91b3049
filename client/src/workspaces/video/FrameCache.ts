import type { VideoFrameInfo } from "../../canvas/types.js";
import type { FrameList } from "./frames.js";
import { parseFrameBatch } from "./multipart.js";

/**
 * Decoded frames of a video record around the playhead. Frames arrive in batches from the frame
 * batch route (one request for `batch` frames of a view, as Pixano's frame worker reads them);
 * a frame the batch does not carry (stored by `uri`, not embedded) is fetched alone from its blob
 * route. Decoded images are kept in a least-recently-used cache of `capacity` frames; the window
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
  private readonly images = new Map<string, ImageBitmap>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly options: FrameCacheOptions;
  private playhead = 0;
  private destroyed = false;
  /** Frames decoded, and requests made (the benchmark reads them). */
  readonly stats = { decoded: 0, batches: 0, singles: 0 };

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
    const got = this.take(frame.id);
    if (got) return got;
    const pending = this.loading.get(this.batchKey(frame));
    if (!pending) return this.single(frame);
    return pending.then(() => this.take(frame.id) ?? this.single(frame));
  }

  private batchKey(frame: VideoFrameInfo): string {
    return `${frame.logicalName}\u0000${frame.index - (frame.index % this.options.batch)}`;
  }

  has(frameId: string): boolean {
    return this.images.has(frameId);
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
        if (f && !this.images.has(f.id)) void this.load(f).catch((err: unknown) => reportOnce(err));
      }
    this.evict();
  }

  private take(frameId: string): ImageBitmap | undefined {
    const img = this.images.get(frameId);
    if (img) {
      // Most recently used last.
      this.images.delete(frameId);
      this.images.set(frameId, img);
    }
    return img;
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
    const url =
      `/datasets/${encodeURIComponent(this.datasetId)}/records/${encodeURIComponent(this.recordId)}/sframes/batch` +
      `?view_name=${encodeURIComponent(view)}&start_frame=${start}&batch_size=${this.options.batch}`;
    this.stats.batches++;
    const res = await fetch(url, { credentials: "same-origin" });
    // 404: no embedded frame in this range (frames stored by uri): each is then fetched alone.
    if (res.status === 404) return;
    if (!res.ok) throw new Error(`frames ${start}+ of ${view}: HTTP ${res.status}`);
    const parts = parseFrameBatch(new Uint8Array(await res.arrayBuffer()));
    await Promise.all(
      parts.map(async (p) => {
        const f = this.frames.at(view, p.frameIndex);
        if (!f || this.images.has(f.id)) return;
        const img = await createImageBitmap(new Blob([p.bytes as BlobPart], { type: p.contentType }));
        this.put(f.id, img);
      }),
    );
    this.evict();
  }

  private async single(frame: VideoFrameInfo): Promise<ImageBitmap> {
    const f = this.frames.byId(frame.id);
    if (!f) throw new Error(`no frame ${frame.id}`);
    this.stats.singles++;
    const res = await fetch(f.src, { credentials: "same-origin" });
    if (!res.ok) throw new Error(`frame ${frame.index}: HTTP ${res.status}`);
    const img = await createImageBitmap(await res.blob());
    this.put(frame.id, img);
    return img;
  }

  private put(frameId: string, img: ImageBitmap): void {
    if (this.destroyed) {
      img.close();
      return;
    }
    this.images.get(frameId)?.close();
    this.images.set(frameId, img);
    this.stats.decoded++;
  }

  /** Drops the least recently used frames beyond the capacity, never one inside the window. */
  private evict(): void {
    const { capacity, behind, ahead } = this.options;
    if (this.images.size <= capacity) return;
    for (const [id, img] of this.images) {
      if (this.images.size <= capacity) break;
      const f = this.frames.byId(id);
      if (f && f.index >= this.playhead - behind && f.index <= this.playhead + ahead) continue;
      img.close();
      this.images.delete(id);
    }
  }

  destroy(): void {
    this.destroyed = true;
    for (const img of this.images.values()) img.close();
    this.images.clear();
  }
}

let reported = false;
function reportOnce(err: unknown): void {
  if (reported) return;
  reported = true;
  console.error("video: frames could not be prefetched", err);
}

import { mkdtempSync, rmSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { decodeFrames } from "./ffmpegFrames.js";
import { ByteLru, Limiter } from "./limits.js";

/**
 * Frames of `videos` rows, decoded on demand by ffmpeg within bounds (one instance per app):
 * at most `maxRunning` ffmpeg processes, `maxWaiting` requests queued behind them, `timeoutMs`
 * per run; decoded frames kept in a byte-bounded LRU; embedded videos (`raw_bytes`) written once
 * to a private temporary folder (ffmpeg needs a seekable file), the `maxFiles` most recent kept.
 */
export interface VideoFrameOptions {
  readonly ffmpeg: string;
  readonly maxRunning: number;
  readonly maxWaiting: number;
  readonly timeoutMs: number;
  readonly cacheBytes: number;
  readonly maxFiles: number;
}

const VIDEO_FRAME_DEFAULTS: VideoFrameOptions = {
  ffmpeg: "ffmpeg",
  maxRunning: 2,
  maxWaiting: 8,
  timeoutMs: 30_000,
  cacheBytes: 64 * 1024 * 1024,
  maxFiles: 8,
};

/** One `videos` row as the decoder needs it. */
export interface VideoSource {
  /** Identifies the row's content: dataset, row id and its `updated_at` (a re-import changes it). */
  readonly key: string;
  readonly fps: number;
  /** Seconds into the file of the view's frame 0 (`from_timestamp`). */
  readonly from: number;
  /** The file to decode: a path in the media folder, or the embedded bytes to write out. */
  readonly file: () => Promise<{ readonly path: string } | { readonly bytes: Uint8Array }>;
}

export class VideoFrameService {
  readonly options: VideoFrameOptions;
  private readonly limiter: Limiter;
  private readonly cache: ByteLru;
  private readonly files = new Map<string, Promise<string>>();
  private dir: string | null = null;
  private seq = 0;

  constructor(options: Partial<VideoFrameOptions> = {}) {
    this.options = { ...VIDEO_FRAME_DEFAULTS, ...options };
    this.limiter = new Limiter(this.options.maxRunning, this.options.maxWaiting);
    this.cache = new ByteLru(this.options.cacheBytes);
  }

  /** ffmpeg processes running now. */
  get running(): number {
    return this.limiter.active;
  }

  /**
   * Delivers frames `[start, start + count)` in order through `onFrame`: cached ones at once, the
   * rest from one ffmpeg run starting at the first frame not cached. Resolves with the number
   * delivered (fewer when the file ends first).
   */
  async frames(
    src: VideoSource,
    start: number,
    count: number,
    signal: AbortSignal,
    onFrame: (index: number, jpeg: Buffer) => void,
  ): Promise<number> {
    let i = start;
    for (; i < start + count; i++) {
      const hit = this.cache.get(`${src.key}\u0000${i}`);
      if (!hit) break;
      onFrame(i, hit);
    }
    if (i === start + count) return count;
    const release = await this.limiter.acquire(signal);
    try {
      const file = await this.fileOf(src);
      const n = await decodeFrames({
        ffmpeg: this.options.ffmpeg,
        file,
        from: src.from,
        fps: src.fps,
        start: i,
        count: start + count - i,
        timeoutMs: this.options.timeoutMs,
        signal,
        onFrame: (index, jpeg) => {
          const own = Buffer.from(jpeg);
          this.cache.set(`${src.key}\u0000${index}`, own);
          onFrame(index, own);
        },
      });
      return i - start + n;
    } finally {
      release();
    }
  }

  private fileOf(src: VideoSource): Promise<string> {
    const known = this.files.get(src.key);
    if (known) {
      // Most recently used last.
      this.files.delete(src.key);
      this.files.set(src.key, known);
      return known;
    }
    const made = src.file().then(async (f) => {
      if ("path" in f) return f.path;
      const dir = this.tempDir();
      const file = path.join(dir, `${++this.seq}.video`);
      await writeFile(file, f.bytes);
      return file;
    });
    this.files.set(src.key, made);
    made.catch(() => this.files.delete(src.key));
    while (this.files.size > this.options.maxFiles) {
      const [oldKey, oldFile] = this.files.entries().next().value ?? [];
      if (oldKey === undefined || oldFile === undefined) break;
      this.files.delete(oldKey);
      // A file of ours only (a media-folder path is never removed); a failed write left none.
      void oldFile.then(
        (p) => (this.dir !== null && p.startsWith(this.dir + path.sep) ? rm(p, { force: true }) : undefined),
        () => undefined,
      );
    }
    return made;
  }

  private tempDir(): string {
    if (this.dir === null) {
      const dir = mkdtempSync(path.join(os.tmpdir(), "tessera-video-"));
      this.dir = dir;
      process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    }
    return this.dir;
  }

  /** Removes the temporary folder (the server's shutdown). */
  close(): void {
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.files.clear();
  }
}

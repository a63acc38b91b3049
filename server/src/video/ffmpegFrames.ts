import { spawn } from "node:child_process";
import { JpegSplitter, JpegStreamError } from "./jpegSplitter.js";

/**
 * Decodes consecutive frames of a video file with ffmpeg, run as a child process with an argument
 * array (never a shell), frame-exact: the seek lands half a frame before the first wanted frame
 * and ffmpeg's accurate seek (its default when transcoding) drops every frame before that time,
 * so the first frame out is the wanted one; frames are then taken as decoded (`-vsync 0`: none
 * duplicated or dropped). Each frame comes out as a JPEG as soon as ffmpeg has encoded it.
 */

/** Why a decode produced no (or not all) frames. */
type DecodeFailure = "missing" | "undecodable" | "timeout" | "aborted";

export class VideoDecodeError extends Error {
  override readonly name = "VideoDecodeError";
  constructor(
    readonly reason: DecodeFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface DecodeRequest {
  /** The ffmpeg executable (a name looked up on PATH, or a path). */
  readonly ffmpeg: string;
  /** Absolute path of the video file. */
  readonly file: string;
  /** Seconds into the file of frame 0 of the view (the row's `from_timestamp`). */
  readonly from: number;
  readonly fps: number;
  readonly start: number;
  readonly count: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Called with each frame, in order; frame `start + k` is the k-th call. */
  readonly onFrame: (index: number, jpeg: Buffer) => void;
}

/** The command line for frames `[start, start + count)`. */
function ffmpegArgs(r: Pick<DecodeRequest, "file" | "from" | "fps" | "start" | "count">): string[] {
  const seek = Math.max(0, r.from + (r.start - 0.5) / r.fps);
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    ...(seek > 0 ? ["-ss", seek.toFixed(6)] : []),
    "-i",
    `file:${r.file}`,
    "-map",
    "0:v:0",
    "-an",
    "-sn",
    "-dn",
    "-vsync",
    "0",
    "-frames:v",
    String(r.count),
    "-f",
    "image2pipe",
    "-c:v",
    "mjpeg",
    "-q:v",
    "3",
    "pipe:1",
  ];
}

const STDERR_KEEP = 2000;

/** Runs one ffmpeg; resolves with the number of frames delivered once it exits cleanly. */
export function decodeFrames(r: DecodeRequest): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    if (r.signal.aborted) {
      reject(new VideoDecodeError("aborted", "the request went away"));
      return;
    }
    const child = spawn(r.ffmpeg, ffmpegArgs(r), { stdio: ["ignore", "pipe", "pipe"], shell: false });
    const splitter = new JpegSplitter();
    let delivered = 0;
    let stderr = "";
    let failure: VideoDecodeError | null = null;
    const fail = (e: VideoDecodeError) => {
      failure ??= e;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    const timer = setTimeout(
      () => fail(new VideoDecodeError("timeout", `ffmpeg took longer than ${r.timeoutMs} ms`)),
      r.timeoutMs,
    );
    const onAbort = () => fail(new VideoDecodeError("aborted", "the request went away"));
    r.signal.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (chunk: Buffer) => {
      if (failure) return;
      let images: Buffer[];
      try {
        images = splitter.push(chunk);
      } catch (err) {
        if (!(err instanceof JpegStreamError)) throw err;
        fail(new VideoDecodeError("undecodable", err.message));
        return;
      }
      for (const jpeg of images) {
        if (delivered >= r.count) break;
        r.onFrame(r.start + delivered, jpeg);
        delivered++;
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_KEEP);
    });
    const done = () => {
      clearTimeout(timer);
      r.signal.removeEventListener("abort", onAbort);
    };
    child.once("error", (err: NodeJS.ErrnoException) => {
      done();
      if (err.code === "ENOENT" || err.code === "EACCES")
        reject(new VideoDecodeError("missing", `${r.ffmpeg} could not be run (${err.code})`));
      else reject(new VideoDecodeError("undecodable", `ffmpeg could not start: ${err.message}`));
    });
    child.once("close", (code) => {
      done();
      if (failure) reject(failure);
      else if (code !== 0) {
        const last = stderr.trim().split("\n").pop() ?? "";
        reject(new VideoDecodeError("undecodable", `ffmpeg exited with ${String(code)}: ${last}`));
      } else resolve(delivered);
    });
  });
}

import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { BuiltView } from "./viewRows.js";
import { ImportError, type SourceLocation } from "./errors.js";
import { isRemoteUri, readMedia } from "./media.js";

const run = promisify(execFile);

/**
 * `Video` view rows as Pixano 0.8 builds them (`_video_row`): local files embedded and probed with
 * the `ffprobe` binary; remote URIs kept, with a duration only when the time window says so.
 */
interface VideoProbe {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly numFrames: number;
  readonly duration: number;
}

/** Python's `round()` (half to even), which Pixano applies to frame counts. */
function pythonRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

async function probeVideo(file: string, where: SourceLocation): Promise<VideoProbe> {
  let stdout: string;
  try {
    ({ stdout } = await run("ffprobe", [
      "-v",
      "error",
      "-print_format",
      "json",
      "-show_streams",
      "-show_format",
      file,
    ]));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const msg =
      code === "ENOENT"
        ? "ffprobe is required to import videos but was not found on PATH"
        : `ffprobe failed on ${file}`;
    throw new ImportError("unreadable_media", msg, where);
  }
  const payload = JSON.parse(stdout) as {
    streams?: Array<Record<string, string | number>>;
    format?: { duration?: string };
  };
  const stream = payload.streams?.find((s) => s.codec_type === "video");
  if (!stream) throw new ImportError("unreadable_media", `${file} has no video stream`, where);
  const [num, den] = String(stream.r_frame_rate ?? "0/1").split("/");
  const fps = Number(num) / Number(den || 1);
  const duration = Number(stream.duration ?? payload.format?.duration ?? 0);
  const numFrames = stream.nb_frames !== undefined ? Number(stream.nb_frames) : pythonRound(duration * fps);
  return { width: Number(stream.width ?? 0), height: Number(stream.height ?? 0), fps, numFrames, duration };
}

export interface VideoRowInput {
  readonly id: string;
  readonly recordId: string;
  readonly logicalName: string;
  /** Resolved local path or remote URI. */
  readonly media: string;
  readonly fps?: number;
  readonly fromTimestamp: number;
  readonly toTimestamp: number;
  readonly where: SourceLocation;
}

export async function videoRow(input: VideoRowInput): Promise<BuiltView<"videos">> {
  const remote = isRemoteUri(input.media);
  let fps = input.fps ?? 0;
  let width = 0;
  let height = 0;
  let numFrames = 0;
  let duration = 0;
  const ext = path.extname(remote ? new URL(input.media).pathname : input.media).slice(1);
  const row: BuiltView<"videos"> = { id: input.id, record_id: input.recordId, logical_name: input.logicalName };
  if (!remote) {
    row.uri = "";
    row.raw_bytes = await readMedia(input.media, input.where);
    const probe = await probeVideo(input.media, input.where);
    fps = input.fps || probe.fps;
    width = probe.width;
    height = probe.height;
    duration = input.toTimestamp < 0 ? probe.duration : input.toTimestamp - input.fromTimestamp;
    numFrames = input.toTimestamp < 0 ? probe.numFrames : pythonRound(duration * fps);
  } else {
    row.uri = input.media;
    if (input.toTimestamp >= 0 && fps) {
      duration = input.toTimestamp - input.fromTimestamp;
      numFrames = pythonRound(duration * fps);
    }
  }
  return {
    ...row,
    num_frames: numFrames,
    fps,
    width,
    height,
    format: ext,
    duration,
    from_timestamp: input.fromTimestamp,
    to_timestamp: input.toTimestamp,
  };
}

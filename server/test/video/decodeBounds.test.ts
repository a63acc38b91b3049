import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VideoDecodeError } from "../../src/video/ffmpegFrames.js";
import { JpegSplitter } from "../../src/video/jpegSplitter.js";
import { DecoderBusyError } from "../../src/video/limits.js";
import { VideoFrameService, type VideoSource } from "../../src/video/videoFrameService.js";
import { waitFor } from "../integration/support.js";

/**
 * The bounds of video decoding with the real ffmpeg: a run that outlives its timeout is killed,
 * a request that goes away kills its ffmpeg, requests past the queue are refused at once, and the
 * MJPEG pipe is cut into the same images however its bytes arrive.
 */

let dir: string;
let long: string;

/** ffmpeg processes that are children of this test process. */
function ffmpegChildren(): number[] {
  const out: number[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const m = /^\d+ \(([^)]*)\) \S (\d+)/.exec(stat);
      if (m?.[1] === "ffmpeg" && Number(m[2]) === process.pid) out.push(Number(pid));
    } catch (err) {
      // A process that ended between the listing and the read.
      if (!(err instanceof Error && "code" in err && err.code === "ENOENT")) throw err;
    }
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tessera-vdecode-"));
  long = path.join(dir, "long.mp4");
  // 20 s of 640×480 at 25 fps: decoding all of it takes far longer than the bounds below allow.
  execFileSync("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=640x480:rate=25",
    "-t",
    "20",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "500",
    long,
  ]);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const source = (key: string): VideoSource => ({ key, fps: 25, from: 0, file: () => Promise.resolve({ path: long }) });

describe("video decoding bounds (real ffmpeg)", () => {
  it("kills an ffmpeg run that outlives its timeout and says so", async () => {
    const service = new VideoFrameService({ timeoutMs: 50 });
    const err = await service
      .frames(source("timeout"), 490, 10, new AbortController().signal, () => undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VideoDecodeError);
    expect((err as VideoDecodeError).reason).toBe("timeout");
    await waitFor(() => ffmpegChildren().length === 0, "the timed-out ffmpeg gone");
    expect(service.running).toBe(0);
  });

  it("kills the ffmpeg of a request that went away", async () => {
    const service = new VideoFrameService();
    const gone = new AbortController();
    const run = service.frames(source("abort"), 490, 10, gone.signal, () => undefined).catch((e: unknown) => e);
    await waitFor(() => ffmpegChildren().length === 1, "ffmpeg running");
    gone.abort();
    const err = await run;
    expect((err as VideoDecodeError).reason).toBe("aborted");
    await waitFor(() => ffmpegChildren().length === 0, "the abandoned ffmpeg gone");
    expect(service.running).toBe(0);
  });

  it("runs at most maxRunning ffmpeg at once and refuses past the queue, then serves again", async () => {
    const service = new VideoFrameService({ maxRunning: 1, maxWaiting: 1 });
    const stop = new AbortController();
    const first = service.frames(source("a"), 490, 10, stop.signal, () => undefined).catch((e: unknown) => e);
    const second = service.frames(source("b"), 480, 10, stop.signal, () => undefined).catch((e: unknown) => e);
    await waitFor(() => ffmpegChildren().length === 1, "one ffmpeg running");
    const third = await service.frames(source("c"), 470, 10, stop.signal, () => undefined).catch((e: unknown) => e);
    expect(third).toBeInstanceOf(DecoderBusyError);
    expect(ffmpegChildren()).toHaveLength(1);
    stop.abort();
    await Promise.all([first, second]);
    await waitFor(() => ffmpegChildren().length === 0, "no ffmpeg left");
    const got: number[] = [];
    await service.frames(source("d"), 0, 3, new AbortController().signal, (i) => got.push(i));
    expect(got).toEqual([0, 1, 2]);
  });

  it("cuts the MJPEG pipe into the same images whatever the chunk sizes", () => {
    const out = execFileSync(
      "ffmpeg",
      ["-hide_banner", "-loglevel", "error", "-i", long, "-frames:v", "5", "-vsync", "0"].concat([
        "-f",
        "image2pipe",
        "-c:v",
        "mjpeg",
        "-q:v",
        "3",
        "pipe:1",
      ]),
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const whole = new JpegSplitter().push(out);
    expect(whole).toHaveLength(5);
    expect(Buffer.concat(whole).equals(out)).toBe(true);
    for (const size of [997, 4096, 65536]) {
      const splitter = new JpegSplitter();
      const images: Buffer[] = [];
      for (let i = 0; i < out.length; i += size) images.push(...splitter.push(out.subarray(i, i + size)));
      expect(images.map((b) => b.length)).toEqual(whole.map((b) => b.length));
      expect(splitter.leftover).toBe(0);
    }
  });
});

import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Library } from "@tessera/dataset";
import { nowMs } from "../clock.js";
import { Rng } from "../rng.js";
import { startTessera } from "../servers/tessera.js";

/**
 * Frames of a video FILE decoded by the server's ffmpeg (`npx tsx src/probes/videoFrames.ts
 * [seconds] [seeks]`, from load-tests; needs ffmpeg): a 1280 × 720, 30 fps h264 clip (x264
 * defaults: a keyframe every 250 frames) made by ffmpeg in `DATA_DIR/media`, one `videos` row
 * written through `@tessera/dataset`, served by the real server (CLI, auth off). Measures what the
 * video workspace asks at a random position: one frame (`…/frames/{i}`, a seek outside the
 * prefetch window), and batches of 16 and 32 frames (`…/frames?start_frame&batch_size`), the time
 * to the first part and to the whole body. No frame is served twice (the cache never helps).
 * Prints one JSON object.
 */
const SECONDS = Number(process.argv[2] ?? 60);
const SEEKS = Number(process.argv[3] ?? 15);
const FPS = 30;
const DATASET = "bench_video_file";
const RECORD = "clip";
const VIDEO = "clip_video";

function pct(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN) * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1), n: s.length };
}

const root = await mkdtemp(path.join(os.tmpdir(), "tessera-bench-vfile-"));
const dataDir = path.join(root, "data");
await mkdir(path.join(dataDir, "media"), { recursive: true });
const file = path.join(dataDir, "media", "clip.mp4");
execFileSync("ffmpeg", [
  ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", `testsrc=size=1280x720:rate=${FPS}`],
  ...["-t", String(SECONDS), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", file],
]);
const frames = SECONDS * FPS;
const library = new Library(dataDir);
await library.init();
const plain = (base: string) => ({ base, fields: {} });
const ds = await library.create(DATASET, {
  id: DATASET,
  name: DATASET,
  description: "video file benchmark",
  workspace: "video",
  storage_mode: "mixed",
  record: plain("Record"),
  entity: plain("Entity"),
  bbox: plain("BBox"),
  tracklet: plain("Tracklet"),
  views: { video: plain("Video") },
});
await ds.add("records", [{ id: RECORD, split: "train" }]);
await ds.add("videos", [
  {
    id: VIDEO,
    record_id: RECORD,
    logical_name: "video",
    uri: "clip.mp4",
    num_frames: frames,
    fps: FPS,
    width: 1280,
    height: 720,
    format: "mp4",
    duration: SECONDS,
  },
]);
await library.close();

const server = await startTessera({ dataDir });
const base = `http://127.0.0.1:${server.port}/datasets/${DATASET}/videos/${VIDEO}/frames`;
try {
  // Disjoint slots of 32 frames in random order: no request is served from another's cache.
  const rng = new Rng(0x5eed);
  const slots = Array.from({ length: Math.floor(frames / 32) }, (_, i) => i * 32);
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [slots[i], slots[j]] = [slots[j] as number, slots[i] as number];
  }
  if (slots.length < 3 * SEEKS) throw new Error(`${frames} frames hold ${slots.length} slots of 32, not ${3 * SEEKS}`);
  const fresh = () => slots.pop() as number;
  const single: number[] = [];
  for (let k = 0; k < SEEKS; k++) {
    const f = fresh() + 13;
    const s = nowMs();
    const res = await fetch(`${base}/${f}`);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`frame ${f}: HTTP ${res.status}`);
    single.push(nowMs() - s);
  }
  const batch = async (size: number) => {
    const whole: number[] = [];
    const first: number[] = [];
    for (let k = 0; k < SEEKS; k++) {
      const f = fresh();
      const s = nowMs();
      const res = await fetch(`${base}?start_frame=${f}&batch_size=${size}`);
      if (!res.ok || !res.body) throw new Error(`batch at ${f}: HTTP ${res.status}`);
      const reader = res.body.getReader();
      let firstMs = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (firstMs === 0 && value.length > 0) firstMs = nowMs() - s;
      }
      whole.push(nowMs() - s);
      first.push(firstMs);
    }
    return { whole: pct(whole), firstBytes: pct(first) };
  };
  const b16 = await batch(16);
  const b32 = await batch(32);
  console.log(
    JSON.stringify(
      {
        clip: { width: 1280, height: 720, fps: FPS, frames, gop: 250 },
        singleFrameMs: pct(single),
        batch16Ms: b16,
        batch32Ms: b32,
        loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
      },
      null,
      1,
    ),
  );
} finally {
  await server.stop();
  await rm(root, { recursive: true, force: true });
}

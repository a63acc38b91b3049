import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library } from "@tessera/dataset";
import { readRows, type TrackJob } from "@tessera/shared-crdt";
import {
  getJson,
  liveClient,
  spawnServer,
  waitFor,
  type LiveClient,
  type ServerProcess,
} from "../integration/support.js";
import { ROOT } from "../support/cli.js";
import { postJson } from "./support.js";

/**
 * Tracking assist on a video file (a Pixano 0.8 `videos` row, decoded by the real ffmpeg through
 * the server's video frame service) with the tiny tracker in the real inference worker: the
 * proposals carry what Pixano 0.8 writes on a video file's frames (`view_id` = the videos row,
 * `frame_id` "", `frame_index`), seen live by a stock y-websocket client. The clip: 24 frames
 * of 160×120 at 24 fps (h264, 4:4:4) with a two-colour square moving (+4, +2) pixels a frame.
 */
const DS = "track_vfile";
const W = 160;
const H = 120;
const SIDE = 24;
const at = (f: number): [number, number] => [20 + 4 * f, 30 + 2 * f];
const SLOW = 90_000;

let root: string;
let dataDir: string;
let server: ServerProcess;
let watcher: LiveClient | null = null;

async function framePng(square: readonly [number, number]): Promise<Buffer> {
  const rgb = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const g = 90 + Math.round((40 * x) / W) + Math.round((20 * y) / H);
      rgb.set([g, g, g + 10], (y * W + x) * 3);
    }
  for (let y = square[1]; y < square[1] + SIDE; y++)
    for (let x = square[0]; x < square[0] + SIDE; x++)
      rgb.set(y < square[1] + SIDE / 2 ? [230, 40, 30] : [30, 60, 220], (y * W + x) * 3);
  return sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
}

const norm = (x: number, y: number): number[] => [x / W, y / H, SIDE / W, SIDE / H];

function iou(a: readonly number[], b: readonly number[]): number {
  const [ax = 0, ay = 0, aw = 0, ah = 0] = a;
  const [bx = 0, by = 0, bw = 0, bh = 0] = b;
  const ix = Math.max(0, Math.min(ax + aw, bx + bw) - Math.max(ax, bx));
  const iy = Math.max(0, Math.min(ay + ah, by + bh) - Math.max(ay, by));
  return (ix * iy) / (aw * ah + bw * bh - ix * iy);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-track-vfile-"));
  dataDir = path.join(root, "data");
  const pngs = path.join(root, "png");
  await mkdir(pngs, { recursive: true });
  for (let f = 0; f < 24; f++) await writeFile(path.join(pngs, `f${f}.png`), await framePng(at(f)));
  await mkdir(path.join(dataDir, "media"), { recursive: true });
  execFileSync("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-framerate",
    "24",
    "-i",
    path.join(pngs, "f%d.png"),
    "-c:v",
    "libx264",
    "-pix_fmt",
    "yuv444p",
    "-crf",
    "8",
    "-g",
    "24",
    path.join(dataDir, "media", "clip.mp4"),
  ]);
  const library = new Library(dataDir);
  await library.init();
  const str = { collection: false, type: "str", required: false, default: "" };
  const ds = await library.create(DS, {
    id: DS,
    name: DS,
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "video",
    storage_mode: "mixed",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "Thing", fields: { category: str } },
    bbox: { base: "BBox", fields: {} },
    tracklet: { base: "Tracklet", fields: {} },
    views: { video: { base: "Video", fields: {} } },
  });
  await ds.add("records", [{ id: "r0", split: "train" }]);
  await ds.add("videos", [
    {
      id: "vid",
      record_id: "r0",
      logical_name: "video",
      uri: "clip.mp4",
      width: W,
      height: H,
      format: "mp4",
      num_frames: 24,
      fps: 24,
      from_timestamp: 0,
    },
  ]);
  await ds.add("entities", [{ id: "e1", record_id: "r0", category: "square" }]);
  await ds.add("tracklets", [
    {
      id: "t1",
      record_id: "r0",
      entity_id: "e1",
      view_id: "vid",
      start_timestep: 0,
      end_timestep: 0,
      start_timestamp: 0,
      end_timestamp: 0,
    },
  ]);
  await ds.add("bboxes", [
    {
      id: "b0",
      record_id: "r0",
      entity_id: "e1",
      tracklet_id: "t1",
      view_id: "vid",
      frame_id: "",
      frame_index: 0,
      coords: norm(...at(0)),
      format: "xywh",
      is_normalized: true,
      confidence: 1,
    },
  ]);
  await library.close();
  execFileSync(process.execPath, [
    path.join(ROOT, "scripts", "tiny-tracker.mjs"),
    path.join(dataDir, "models", "tiny-tracker"),
  ]);
  server = await spawnServer(dataDir);
}, 120_000);

afterAll(async () => {
  watcher?.destroy();
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

describe("tracking assist on a video file", () => {
  it("tracks across frames decoded by ffmpeg and writes keyframes with Pixano 0.8's video-file columns", async () => {
    watcher = liveClient(server, "r0", "watcher", DS);
    await watcher.synced();
    const r = await postJson(`${server.url}/inference/datasets/${DS}/records/r0/track`, {
      model: "tiny-tracker",
      tracklet_id: "t1",
      max_frames: 12,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const id = (r.body as TrackJob).job_id;
    const final = await waitFor(
      async () => {
        const j = await getJson<TrackJob>(`${server.url}/inference/datasets/${DS}/track/jobs/${id}`);
        return j.progress.final ? j : null;
      },
      "the run ended",
      SLOW,
    );
    expect(final.progress, JSON.stringify(final)).toMatchObject({ done: 12, frame: 12, stopped_by: "max_frames" });
    const doc = watcher.doc;
    const rows = await waitFor(
      () => {
        const p = readRows(doc, "bboxes").filter((b) => b.source_type === "model");
        return p.length === 12 ? p.sort((a, b) => Number(a.frame_index) - Number(b.frame_index)) : null;
      },
      "12 proposals live",
      SLOW,
    );
    for (const [i, b] of rows.entries()) {
      const f = i + 1;
      expect(b).toMatchObject({ frame_index: f, view_id: "vid", frame_id: "", tracklet_id: "t1", entity_id: "e1" });
      expect(iou(b.coords as number[], norm(...at(f))), `frame ${f}`).toBeGreaterThanOrEqual(0.7);
    }
    const t = readRows(doc, "tracklets").find((x) => x.id === "t1");
    expect(Number(t?.end_timestep)).toBe(12);
    expect(Number(t?.end_timestamp)).toBeCloseTo(12 / 24, 6);
  }, 300_000);
});

import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library } from "@tessera/dataset";
import { decodeMask, encodeMask, readRows, type TrackJob } from "@tessera/shared-crdt";
import {
  getJson,
  liveClient,
  spawnServer,
  waitFor,
  type LiveClient,
  type ServerProcess,
} from "../integration/support.js";
import { ROOT } from "../support/cli.js";
import { postJson, writeTinySam } from "./support.js";

/**
 * Masks on a video file's frames: a track with a mask keyframe on a Pixano 0.8 `videos` row (frames
 * decoded by the real ffmpeg), the tiny tracker and the tiny SAM pair registered, in the real
 * inference worker. The run proposes a mask in each tracked box, segmented from the frame the run
 * decoded (a video file's frame has no view row of its own), with Pixano 0.8's video-file columns
 * (`view_id` = the videos row, `frame_id` "", `frame_index`), seen live by a stock y-websocket
 * client. The clip: 24 frames of 160×120 at 24 fps (h264, 4:4:4), a square moving (+4, +2) a frame.
 */
const DS = "track_vfile_masks";
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
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-track-vfile-masks-"));
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
    mask: { base: "CompressedRLE", fields: {} },
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
  // A person's mask keyframe on frame 0: the track has masks, so a run proposes one on each frame.
  await ds.add("masks", [
    {
      id: "m0",
      record_id: "r0",
      entity_id: "e1",
      tracklet_id: "t1",
      view_id: "vid",
      frame_id: "",
      frame_index: 0,
      size: [H, W],
      counts: encodeMask(new Uint8Array(W * H).fill(1), H, W).counts,
    },
  ]);
  await library.close();
  writeTinySam(path.join(dataDir, "models", "tiny-sam"));
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

describe("tracking assist on a video file, with masks", () => {
  it("proposes a mask on each tracked frame of a video file, segmented from the decoded frame", async () => {
    watcher = liveClient(server, "r0", "watcher", DS);
    await watcher.synced();
    const r = await postJson(`${server.url}/inference/datasets/${DS}/records/r0/track`, {
      model: "tiny-tracker",
      tracklet_id: "t1",
      max_frames: 6,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const created = r.body as TrackJob;
    expect(created.segmentation_model).toBe("tiny-sam");
    const final = await waitFor(
      async () => {
        const j = await getJson<TrackJob>(`${server.url}/inference/datasets/${DS}/track/jobs/${created.job_id}`);
        return j.progress.final ? j : null;
      },
      "the run ended",
      SLOW,
    );
    expect(final.progress, JSON.stringify(final)).toMatchObject({
      done: 6,
      stopped_by: "max_frames",
      table_counts: { keyframes: 6, masks: 6 },
    });
    const doc = watcher.doc;
    const masks = await waitFor(
      () => {
        const m = readRows(doc, "masks").filter((x) => x.source_type === "model");
        return m.length === 6 ? m.sort((a, b) => Number(a.frame_index) - Number(b.frame_index)) : null;
      },
      "6 mask proposals live",
      SLOW,
    );
    const boxes = readRows(doc, "bboxes").filter((b) => b.source_type === "model");
    for (const [i, m] of masks.entries()) {
      const f = i + 1;
      expect(m).toMatchObject({
        frame_index: f,
        view_id: "vid",
        frame_id: "",
        tracklet_id: "t1",
        entity_id: "e1",
        source_name: "tiny-sam",
      });
      expect(m.size).toEqual([H, W]);
      expect(JSON.parse(String(m.source_metadata))).toMatchObject({
        review_status: "pending",
        job_id: created.job_id,
        tracker: "tiny-tracker",
      });
      const box = boxes.find((b) => Number(b.frame_index) === f)?.coords as number[] | undefined;
      expect(box, `a box proposal on frame ${f}`).toBeDefined();
      expect(iou(box ?? [], norm(...at(f))), `frame ${f}`).toBeGreaterThanOrEqual(0.7);
      // The tiny SAM pair draws a disc around the prompt box's centre: the tracked box's centre is in the mask.
      const bits = decodeMask({ size: [H, W], counts: String(m.counts) });
      const cx = Math.floor(((box?.[0] ?? 0) + (box?.[2] ?? 0) / 2) * W);
      const cy = Math.floor(((box?.[1] ?? 0) + (box?.[3] ?? 0) / 2) * H);
      expect(bits[cy * W + cx], `frame ${f}: the box centre is in the mask`).toBe(1);
      expect(bits[0], `frame ${f}: the mask is not the whole frame`).toBe(0);
    }
    // The person's mask on frame 0 stays as it was.
    expect(readRows(doc, "masks").find((x) => x.id === "m0")?.source_type).toBe("");
  }, 300_000);

  it("a click on a video file's frame is refused as clearly as on a sequence frame (422 with a detail), not 'not found'", async () => {
    const prompt = { model: "tiny-sam", view_id: "vid", points: [[40, 40]], labels: [1], box: null };
    const draft = await postJson(`${server.url}/inference/datasets/${DS}/segmentation/draft`, prompt);
    expect(draft.status, JSON.stringify(draft.body)).toBe(422);
    expect(draft.body).toMatchObject({ detail: expect.stringMatching(/video file/) as unknown });
    // Nothing was written: no draft mask in the record document.
    const client = liveClient(server, "r0", "after-click", DS);
    try {
      await client.synced();
      expect(readRows(client.doc, "masks").filter((m) => m.source_metadata.includes("prompt"))).toEqual([]);
    } finally {
      client.destroy();
    }
  });
});

import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { Library, type Dataset } from "@tessera/dataset";
import { ROOT } from "../support/cli.js";

/**
 * The video-file world of the tracking tests: a Pixano 0.8 `videos` row on a clip made by the real
 * ffmpeg — 24 frames of 160×120 at 24 fps (h264, 4:4:4) with a two-colour square moving (+4, +2)
 * pixels a frame over a soft gradient — one record `r0`, entity `e1`, track `t1` with a person's box
 * keyframe on frame 0, and the tiny tracker registered as `tiny-tracker`.
 */
export const W = 160;
export const H = 120;
const SIDE = 24;
const FRAMES = 24;
/** The square's top-left corner on frame `f`, in pixels. */
export const at = (f: number): [number, number] => [20 + 4 * f, 30 + 2 * f];
/** The square at (x, y) as Pixano's normalised xywh. */
export const norm = (x: number, y: number): number[] => [x / W, y / H, SIDE / W, SIDE / H];

export function iou(a: readonly number[], b: readonly number[]): number {
  const [ax = 0, ay = 0, aw = 0, ah = 0] = a;
  const [bx = 0, by = 0, bw = 0, bh = 0] = b;
  const ix = Math.max(0, Math.min(ax + aw, bx + bw) - Math.max(ax, bx));
  const iy = Math.max(0, Math.min(ay + ah, by + bh) - Math.max(ay, by));
  return (ix * iy) / (aw * ah + bw * bh - ix * iy);
}

/** A W×H PNG: a soft grey gradient with a `side`-pixel square (red over blue halves) at `square`. */
export async function squareFramePng(square: readonly [number, number], side = SIDE): Promise<Buffer> {
  const rgb = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const g = 90 + Math.round((40 * x) / W) + Math.round((20 * y) / H);
      rgb.set([g, g, g + 10], (y * W + x) * 3);
    }
  for (let y = square[1]; y < square[1] + side; y++)
    for (let x = square[0]; x < square[0] + side; x++)
      rgb.set(y < square[1] + side / 2 ? [230, 40, 30] : [30, 60, 220], (y * W + x) * 3);
  return sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
}

/**
 * Writes the clip to `DATA_DIR/media/clip.mp4` (its PNG frames under `scratch`), creates dataset
 * `id` with the record, its `videos` row, the track and its first keyframe, lets `more` add rows
 * (e.g. a mask keyframe), and registers the tiny tracker.
 */
export async function buildVideoClipWorld(
  dataDir: string,
  scratch: string,
  id: string,
  options: { masks?: boolean; more?: (ds: Dataset) => Promise<unknown> } = {},
): Promise<void> {
  const pngs = path.join(scratch, "png");
  await mkdir(pngs, { recursive: true });
  for (let f = 0; f < FRAMES; f++) await writeFile(path.join(pngs, `f${f}.png`), await squareFramePng(at(f)));
  await mkdir(path.join(dataDir, "media"), { recursive: true });
  // Near-lossless h264 in 4:4:4, a keyframe a second: the decoded frames keep the square's colours.
  const encode = ["-framerate", "24", "-i", path.join(pngs, "f%d.png"), "-c:v", "libx264", "-pix_fmt", "yuv444p"];
  execFileSync("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    ...encode,
    "-crf",
    "8",
    "-g",
    "24",
    path.join(dataDir, "media", "clip.mp4"),
  ]);
  const library = new Library(dataDir);
  await library.init();
  const str = { collection: false, type: "str", required: false, default: "" };
  const ds = await library.create(id, {
    id,
    name: id,
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "video",
    storage_mode: "mixed",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "Thing", fields: { category: str } },
    bbox: { base: "BBox", fields: {} },
    ...(options.masks ? { mask: { base: "CompressedRLE", fields: {} } } : {}),
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
      num_frames: FRAMES,
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
  await options.more?.(ds);
  await library.close();
  execFileSync(process.execPath, [
    path.join(ROOT, "scripts", "tiny-tracker.mjs"),
    path.join(dataDir, "models", "tiny-tracker"),
  ]);
}

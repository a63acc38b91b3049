import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library } from "@tessera/dataset";
import { decodeMask, encodeMask, readRow, readRows } from "@tessera/shared-crdt";
import { liveClient, spawnServer, waitFor, type LiveClient, type ServerProcess } from "../integration/support.js";
import { inTinyDisc, postJson, writeTinySam } from "./support.js";

/**
 * Click-to-segment on video frames, with the real server, the real inference worker and the tiny
 * SAM pair: a frame of an image sequence (its own `sequence_frames` row) and a frame of a Pixano
 * 0.8 video file (a `videos` row, decoded by the real ffmpeg). The draft lands in the record
 * document as a mask keyframe on that frame (a new track, or the selected one), seen live by a
 * stock y-websocket client; the second click on a frame is answered from the cached embedding
 * (the worker says `memory`: the encoder did not run again).
 */
const SEQ_DS = "seg_frames_seq";
const VID_DS = "seg_frames_vid";
const W = 160;
const H = 120;
const FRAMES = 12;
const SIDE = 24;
const at = (f: number): [number, number] => [20 + 4 * f, 30 + 2 * f];
const centre = (f: number): [number, number] => [at(f)[0] + SIDE / 2, at(f)[1] + SIDE / 2];
const str = { collection: false, type: "str", required: false, default: "" };

let root: string;
let dataDir: string;
let server: ServerProcess;
const clients: LiveClient[] = [];

async function framePng(f: number): Promise<Buffer> {
  const rgb = Buffer.alloc(W * H * 3, 100);
  const [sx, sy] = at(f);
  for (let y = sy; y < sy + SIDE; y++) for (let x = sx; x < sx + SIDE; x++) rgb.set([230, 40, 30], (y * W + x) * 3);
  return sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
}

function dataset(library: Library, id: string, view: "SequenceFrame" | "Video") {
  return library.create(id, {
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
    mask: { base: "CompressedRLE", fields: {} },
    tracklet: { base: "Tracklet", fields: {} },
    views: { video: { base: view, fields: {} } },
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-seg-frames-"));
  dataDir = path.join(root, "data");
  const media = path.join(dataDir, "media");
  await mkdir(media, { recursive: true });
  for (let f = 0; f < FRAMES; f++) await writeFile(path.join(media, `f${f}.png`), await framePng(f));
  execFileSync("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-framerate", "24", "-i", path.join(media, "f%d.png")],
    ...["-c:v", "libx264", "-pix_fmt", "yuv444p", "-crf", "8", "-g", "24", path.join(media, "clip.mp4")],
  ]);
  const library = new Library(dataDir);
  await library.init();
  const seq = await dataset(library, SEQ_DS, "SequenceFrame");
  await seq.add("records", [{ id: "r0", split: "train" }]);
  await seq.add(
    "sequence_frames",
    Array.from({ length: FRAMES }, (_, f) => ({
      id: `seq-f${f}`,
      record_id: "r0",
      logical_name: "video",
      uri: `f${f}.png`,
      frame_index: f,
      timestamp: f / 24,
      width: W,
      height: H,
      format: "PNG",
    })),
  );
  const vid = await dataset(library, VID_DS, "Video");
  await vid.add("records", [{ id: "r0", split: "train" }]);
  await vid.add("videos", [
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
  // A person's track with a mask keyframe on frame 0.
  await vid.add("entities", [{ id: "e1", record_id: "r0", category: "square" }]);
  await vid.add("tracklets", [
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
  await vid.add("masks", [
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
  server = await spawnServer(dataDir);
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

async function watch(ds: string): Promise<LiveClient> {
  const c = liveClient(server, "r0", `watcher-${ds}`, ds);
  clients.push(c);
  await c.synced();
  return c;
}

interface DraftReply {
  record_id: string;
  entity_id: string;
  mask_id: string;
  tracklet_id: string;
  frame_index: number;
  mask: { size: [number, number]; counts: string };
  embedding: string;
}

/** The mask is a valid RLE of the frame's size, holds `point` and is not the whole frame. */
function expectMaskAround(mask: { size: unknown; counts: unknown }, point: readonly [number, number]): void {
  expect(mask.size).toEqual([H, W]);
  const bits = decodeMask({ size: [H, W], counts: String(mask.counts) });
  expect(bits.length).toBe(W * H);
  expect(bits[point[1] * W + point[0]], "the clicked point is in the mask").toBe(1);
  expect(bits[0], "the mask is not the whole frame").toBe(0);
  for (let y = 0; y < H; y += 7)
    for (let x = 0; x < W; x += 7)
      expect(bits[y * W + x], `pixel ${x},${y}`).toBe(inTinyDisc(x, y, point, W, H) ? 1 : 0);
}

/** First click (decode + encoder) and the next clicks' p50/p99 (decoder only), with the load average. */
function figures(firstMs: number, next: readonly number[]): string {
  const ms = [...next].sort((a, b) => a - b);
  const pct = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]?.toFixed(1);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  return `first click ${firstMs.toFixed(1)} ms; next clicks p50 ${pct(0.5)} ms p99 ${pct(0.99)} ms (n=${ms.length}); load ${load}`;
}

const draftUrl = (ds: string) => `${server.url}/inference/datasets/${ds}/segmentation/draft`;

describe("click-to-segment on video frames", () => {
  it("a click on an image sequence's frame writes a draft mask keyframe on that frame (was 422), the next click runs the decoder only", async () => {
    const watcher = await watch(SEQ_DS);
    const p = centre(5);
    const first = await postJson(draftUrl(SEQ_DS), {
      model: "tiny-sam",
      view_id: "seq-f5",
      points: [p],
      labels: [1],
      track_view_id: "seq-f0",
    });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const d = first.body as DraftReply;
    expect(d).toMatchObject({ record_id: "r0", frame_index: 5, embedding: "computed" });
    expectMaskAround(d.mask, p);
    // Live, for a second stock y-websocket client: a new track on the sequence's view with the mask keyframe.
    const row = await waitFor(() => readRow(watcher.doc, "masks", d.mask_id) ?? null, "the draft is live");
    expect(row).toMatchObject({
      view_id: "seq-f5",
      frame_id: "seq-f5",
      frame_index: 5,
      tracklet_id: d.tracklet_id,
      entity_id: d.entity_id,
      source_type: "model",
      source_name: "tiny-sam",
    });
    expectMaskAround(row, p);
    expect(JSON.parse(row.source_metadata)).toMatchObject({ prompt: { points: [p], labels: [1] } });
    expect(readRow(watcher.doc, "tracklets", d.tracklet_id)).toMatchObject({
      view_id: "seq-f0",
      entity_id: d.entity_id,
      start_timestep: 5,
      end_timestep: 5,
    });
    // A refining click on the same frame: answered from the cached embedding, the draft replaced in place.
    const q = centre(5).map((v) => v + 3) as [number, number];
    const second = await postJson(draftUrl(SEQ_DS), {
      model: "tiny-sam",
      view_id: "seq-f5",
      points: [q],
      labels: [1],
      draft_id: d.mask_id,
    });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body).toMatchObject({ mask_id: d.mask_id, tracklet_id: d.tracklet_id, embedding: "memory" });
    // The baseline of the video-file figures: refining clicks on a frame row (an image view's path).
    const ms: number[] = [];
    for (let i = 0; i < 8; i++) {
      const more = await postJson(draftUrl(SEQ_DS), {
        model: "tiny-sam",
        view_id: "seq-f5",
        points: [q, [5 + i, 5]],
        labels: [1, 0],
        draft_id: d.mask_id,
      });
      expect(more.status, JSON.stringify(more.body)).toBe(200);
      expect(more.body).toMatchObject({ embedding: "memory" });
      ms.push(more.ms);
    }
    console.log(`sequence frame draft: ${figures(first.ms, ms)}`);
    await waitFor(
      () => (readRow(watcher.doc, "masks", d.mask_id)?.counts === (second.body as DraftReply).mask.counts ? 1 : null),
      "the refined draft is live",
    );
    expect(readRows(watcher.doc, "masks").filter((m) => m.source_type === "model")).toHaveLength(1);
  }, 120_000);

  it("a click on a video file's frame decodes it, writes the draft at that frame_index (was 422), and the next click on it runs the decoder only", async () => {
    const watcher = await watch(VID_DS);
    const p = centre(7);
    const first = await postJson(draftUrl(VID_DS), {
      model: "tiny-sam",
      view_id: "vid",
      frame_index: 7,
      points: [p],
      labels: [1],
    });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const d = first.body as DraftReply;
    expect(d).toMatchObject({ record_id: "r0", frame_index: 7, embedding: "computed" });
    expectMaskAround(d.mask, p);
    const row = await waitFor(() => readRow(watcher.doc, "masks", d.mask_id) ?? null, "the draft is live");
    // Pixano 0.8's video-file columns: view_id = the videos row, frame_id "", frame_index.
    expect(row).toMatchObject({
      view_id: "vid",
      frame_id: "",
      frame_index: 7,
      tracklet_id: d.tracklet_id,
      source_type: "model",
      source_name: "tiny-sam",
    });
    expectMaskAround(row, p);
    expect(readRow(watcher.doc, "tracklets", d.tracklet_id)).toMatchObject({
      view_id: "vid",
      start_timestep: 7,
      end_timestep: 7,
    });
    // The second click on that frame: the worker has its embedding (nothing decoded, no encoder run).
    const second = await postJson(draftUrl(VID_DS), {
      model: "tiny-sam",
      view_id: "vid",
      frame_index: 7,
      points: [p, [5, 5]],
      labels: [1, 0],
      draft_id: d.mask_id,
    });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body).toMatchObject({ mask_id: d.mask_id, frame_index: 7, embedding: "memory" });
    // More refining clicks on that frame: each from the cached embedding (figures printed, not asserted).
    const ms: number[] = [];
    for (let i = 0; i < 8; i++) {
      const more = await postJson(draftUrl(VID_DS), {
        model: "tiny-sam",
        view_id: "vid",
        frame_index: 7,
        points: [p, [5 + i, 5]],
        labels: [1, 0],
        draft_id: d.mask_id,
      });
      expect(more.status, JSON.stringify(more.body)).toBe(200);
      expect(more.body).toMatchObject({ embedding: "memory" });
      ms.push(more.ms);
    }
    console.log(`video-file frame draft: ${figures(first.ms, ms)}`);
    // Another frame is another picture: its own embedding.
    const other = await postJson(draftUrl(VID_DS), {
      model: "tiny-sam",
      view_id: "vid",
      frame_index: 8,
      points: [centre(8)],
      labels: [1],
    });
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    expect(other.body).toMatchObject({ frame_index: 8, embedding: "computed" });
    // A refinement names its frame: the draft of frame 7 is not refined from frame 8.
    const wrong = await postJson(draftUrl(VID_DS), {
      model: "tiny-sam",
      view_id: "vid",
      frame_index: 8,
      points: [centre(8)],
      labels: [1],
      draft_id: d.mask_id,
    });
    expect(wrong.status, JSON.stringify(wrong.body)).toBe(422);
  }, 120_000);

  it("a draft on a video frame with the selected track joins it as its mask keyframe; a person's mask on that frame stays (422)", async () => {
    const watcher = await watch(VID_DS);
    const p = centre(3);
    const r = await postJson(draftUrl(VID_DS), {
      model: "tiny-sam",
      view_id: "vid",
      frame_index: 3,
      points: [p],
      labels: [1],
      tracklet_id: "t1",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const d = r.body as DraftReply;
    expect(d).toMatchObject({ tracklet_id: "t1", entity_id: "e1", frame_index: 3 });
    const row = await waitFor(() => readRow(watcher.doc, "masks", d.mask_id) ?? null, "the keyframe draft is live");
    expect(row).toMatchObject({ tracklet_id: "t1", entity_id: "e1", frame_index: 3, view_id: "vid", frame_id: "" });
    await waitFor(
      () => (readRow(watcher.doc, "tracklets", "t1")?.end_timestep === 3 ? 1 : null),
      "the track grows to frame 3",
    );
    const before = readRow(watcher.doc, "masks", "m0");
    const refused = await postJson(draftUrl(VID_DS), {
      model: "tiny-sam",
      view_id: "vid",
      frame_index: 0,
      points: [centre(0)],
      labels: [1],
      tracklet_id: "t1",
    });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body).toMatchObject({ detail: expect.stringMatching(/already has a mask on frame 0/) as unknown });
    expect(readRow(watcher.doc, "masks", "m0")).toEqual(before);
  }, 120_000);

  it("a video file's frame without frame_index is 422, and a frame past its end is 404, each with a detail", async () => {
    const none = await postJson(draftUrl(VID_DS), { model: "tiny-sam", view_id: "vid", points: [[9, 9]], labels: [1] });
    expect(none.status).toBe(422);
    expect(none.body).toMatchObject({ detail: expect.stringMatching(/frame_index/) as unknown });
    const past = await postJson(draftUrl(VID_DS), {
      model: "tiny-sam",
      view_id: "vid",
      frame_index: FRAMES,
      points: [[9, 9]],
      labels: [1],
    });
    expect(past.status).toBe(404);
    expect(past.body).toMatchObject({ detail: expect.stringMatching(/no frame 12/) as unknown });
  }, 60_000);
});

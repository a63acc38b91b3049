import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library } from "@tessera/dataset";
import {
  decodeMask,
  encodeMask,
  LIVE_NAMESPACE,
  readRows,
  type LiveClientToServer,
  type LiveServerToClient,
  type TrackJob,
} from "@tessera/shared-crdt";
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
 * Tracking assist against the real server process, the real inference worker (the tiny
 * VitTrack-layout tracker of scripts/tiny-tracker.mjs), real LanceDB and stock y-websocket
 * clients. Record `r0` is a 30-frame image sequence (160×120 PNGs in `sequence_frames`) with a
 * two-colour square moving (+5, +3) pixels a frame on frames 0–19 and gone from frame 20; its
 * tracks start from box keyframes seeded in LanceDB as Pixano writes them. Record `r1` is an
 * 80-frame sequence for the cancel test. Each worker step is slowed by the test hook (30 ms).
 */
const DS = "track_ds";
const W = 160;
const H = 120;
const SIDE = 20;
const at = (f: number): [number, number] => [20 + 5 * f, 20 + 3 * f];
const slowAt = (f: number): [number, number] => [20 + f, 30];
/** Deadline of the waits: the CI machine is shared (2 cores), a run or a fold may take a while there. */
const SLOW = 90_000;
const TEST_MS = 300_000;

let root: string;
let dataDir: string;
let server: ServerProcess;
const sockets: Array<Socket<LiveServerToClient, LiveClientToServer>> = [];
const clients: LiveClient[] = [];

const str = () => ({ collection: false, type: "str", required: false, default: "" });

async function framePng(square: readonly [number, number] | null): Promise<Buffer> {
  const rgb = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const g = 90 + Math.round((40 * x) / W) + Math.round((20 * y) / H);
      rgb.set([g, g, g + 10], (y * W + x) * 3);
    }
  if (square)
    for (let y = square[1]; y < square[1] + SIDE; y++)
      for (let x = square[0]; x < square[0] + SIDE; x++)
        rgb.set(y < square[1] + SIDE / 2 ? [230, 40, 30] : [30, 60, 220], (y * W + x) * 3);
  return sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
}

const norm = (x: number, y: number): number[] => [x / W, y / H, SIDE / W, SIDE / H];

async function buildDataDir(): Promise<void> {
  const library = new Library(dataDir);
  await library.init();
  const ds = await library.create("track_ds", {
    id: DS,
    name: "Tracking DS",
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "video",
    storage_mode: "mixed",
    record: { base: "Record", fields: {} },
    entity: { base: "Entity", name: "Thing", fields: { category: str() } },
    bbox: { base: "BBox", fields: {} },
    mask: { base: "CompressedRLE", fields: {} },
    tracklet: { base: "Tracklet", fields: {} },
    views: { video: { base: "SequenceFrame", fields: {} } },
  });
  await mkdir(path.join(dataDir, "media"), { recursive: true });
  const frames: Record<string, unknown>[] = [];
  for (let f = 0; f < 30; f++) {
    await writeFile(path.join(dataDir, "media", `r0-${f}.png`), await framePng(f < 20 ? at(f) : null));
    frames.push({
      id: `r0-f${f}`,
      record_id: "r0",
      logical_name: "video",
      uri: `r0-${f}.png`,
      frame_index: f,
      timestamp: f / 24,
      width: W,
      height: H,
      format: "PNG",
    });
  }
  for (let f = 0; f < 80; f++) {
    await writeFile(path.join(dataDir, "media", `r1-${f}.png`), await framePng(slowAt(f)));
    frames.push({
      id: `r1-f${f}`,
      record_id: "r1",
      logical_name: "video",
      uri: `r1-${f}.png`,
      frame_index: f,
      timestamp: f / 24,
      width: W,
      height: H,
      format: "PNG",
    });
  }
  await ds.add("records", [
    { id: "r0", split: "train" },
    { id: "r1", split: "train" },
  ]);
  await ds.add("sequence_frames", frames);
  // Tracks as Pixano writes them: tracklet on the first frame's view, box keyframes with frame_index/frame_id/view_id.
  const tracks: Array<{ id: string; record: string; keys: number[]; pos: (f: number) => [number, number] }> = [
    { id: "t1", record: "r0", keys: [0], pos: at },
    { id: "t2", record: "r0", keys: [14], pos: at },
    { id: "t3", record: "r0", keys: [2, 8], pos: at },
    { id: "t4", record: "r1", keys: [0], pos: slowAt },
    { id: "t5", record: "r0", keys: [4], pos: at },
  ];
  await ds.add(
    "entities",
    tracks.map((t) => ({ id: `e-${t.id}`, record_id: t.record, category: "square" })),
  );
  await ds.add(
    "tracklets",
    tracks.map((t) => ({
      id: t.id,
      record_id: t.record,
      entity_id: `e-${t.id}`,
      view_id: `${t.record}-f${t.keys[0] ?? 0}`,
      start_timestep: t.keys[0] ?? 0,
      end_timestep: t.keys[t.keys.length - 1] ?? 0,
      start_timestamp: (t.keys[0] ?? 0) / 24,
      end_timestamp: (t.keys[t.keys.length - 1] ?? 0) / 24,
    })),
  );
  await ds.add(
    "bboxes",
    tracks.flatMap((t) =>
      t.keys.map((k) => ({
        id: `b-${t.id}-${k}`,
        record_id: t.record,
        entity_id: `e-${t.id}`,
        tracklet_id: t.id,
        view_id: `${t.record}-f${k}`,
        frame_id: `${t.record}-f${k}`,
        frame_index: k,
        coords: norm(...t.pos(k)),
        format: "xywh",
        is_normalized: true,
        confidence: 1,
      })),
    ),
  );
  // t5 also has a mask keyframe (a human one) on frame 4: its runs propose a mask on each frame too.
  const full = encodeMask(new Uint8Array(W * H).fill(1), H, W);
  await ds.add("masks", [
    {
      id: "m-t5-4",
      record_id: "r0",
      entity_id: "e-t5",
      tracklet_id: "t5",
      view_id: "r0-f4",
      frame_id: "r0-f4",
      frame_index: 4,
      size: [H, W],
      counts: full.counts,
    },
  ]);
  await library.close();
  writeTinySam(path.join(dataDir, "models", "tiny-sam"));
  execFileSync(process.execPath, [
    path.join(ROOT, "scripts", "tiny-tracker.mjs"),
    path.join(dataDir, "models", "tiny-tracker"),
  ]);
}

function iou(a: readonly number[], b: readonly number[]): number {
  const [ax = 0, ay = 0, aw = 0, ah = 0] = a;
  const [bx = 0, by = 0, bw = 0, bh = 0] = b;
  const inter =
    Math.max(0, Math.min(ax + aw, bx + bw) - Math.max(ax, bx)) *
    Math.max(0, Math.min(ay + ah, by + bh) - Math.max(ay, by));
  return inter / (aw * ah + bw * bh - inter);
}

function join() {
  const socket: Socket<LiveServerToClient, LiveClientToServer> = io(`${server.url}${LIVE_NAMESPACE}`, {
    auth: { datasetId: DS, name: "watcher", role: "annotator" },
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(socket);
  const runs: TrackJob[] = [];
  socket.on("job:progress", (j) => {
    if (j.kind === "track") runs.push(j);
  });
  return { socket, runs };
}

function watch(recordId: string, name: string): LiveClient {
  const c = liveClient(server, recordId, name, DS);
  clients.push(c);
  return c;
}

async function startRun(recordId: string, body: Record<string, unknown>): Promise<TrackJob> {
  const r = await postJson(`${server.url}/inference/datasets/${DS}/records/${recordId}/track`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body as TrackJob;
}

const runUrl = (id: string) => `${server.url}/inference/datasets/${DS}/track/jobs/${id}`;

async function ended(id: string): Promise<TrackJob> {
  return waitFor(
    async () => {
      const j = await getJson<TrackJob>(runUrl(id));
      return j.progress.final ? j : null;
    },
    `run ${id} ended`,
    SLOW,
  );
}

/** The model's boxes of a track in a live document, by frame. */
function proposals(c: LiveClient, trackletId: string) {
  return readRows(c.doc, "bboxes")
    .filter((b) => b.tracklet_id === trackletId && b.source_type === "model")
    .sort((a, b) => Number(a.frame_index) - Number(b.frame_index));
}

interface StoredRow {
  id: string;
  tracklet_id: string;
  entity_id: string;
  view_id: string;
  frame_id: string;
  frame_index: number;
  coords: number[];
  source_type: string;
  source_name: string;
  source_metadata: string;
  end_timestep: number;
}

async function stored(table: "bboxes" | "tracklets"): Promise<StoredRow[]> {
  const library = new Library(dataDir);
  try {
    const ds = await library.open(DS);
    if (!ds) throw new Error("dataset does not open");
    return (await ds.query(table, { limit: 10_000 })).items as unknown as StoredRow[];
  } finally {
    await library.close();
  }
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-track-"));
  dataDir = path.join(root, "data");
  await buildDataDir();
  server = await spawnServer(dataDir, { TESSERA_TEST_INFERENCE_DELAY_MS: "30" });
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  for (const c of clients) c.destroy();
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

describe("tracking assist on video", () => {
  it(
    "proposes a pending keyframe per frame, seen live by a second y-websocket client, folded as Pixano rows",
    async () => {
      const live = join();
      await waitFor(() => live.socket.connected, "live channel connected", SLOW);
      const watcher = watch("r0", "watcher");
      await watcher.synced();
      const created = await startRun("r0", { model: "tiny-tracker", tracklet_id: "t1", max_frames: 10 });
      expect(created).toMatchObject({
        kind: "track",
        record_id: "r0",
        tracklet_id: "t1",
        start_frame: 0,
        status: "running",
      });
      // Live: the watcher's document receives the proposals while the run goes on.
      await waitFor(() => proposals(watcher, "t1").length >= 1, "a first proposal in the watcher's document", SLOW);
      const final = await ended(created.job_id);
      expect(final, JSON.stringify(final)).toMatchObject({ status: "done" });
      expect(final.progress).toMatchObject({ done: 10, frame: 10, stopped_by: "max_frames", final: true });
      const rows = await waitFor(
        () => (proposals(watcher, "t1").length === 10 ? proposals(watcher, "t1") : null),
        "10 proposals live",
        SLOW,
      );
      for (const [i, b] of rows.entries()) {
        const f = i + 1;
        expect(b).toMatchObject({
          frame_index: f,
          view_id: `r0-f${f}`,
          frame_id: `r0-f${f}`,
          entity_id: "e-t1",
          format: "xywh",
          is_normalized: true,
          source_name: "tiny-tracker",
        });
        expect(JSON.parse(String(b.source_metadata))).toMatchObject({
          review_status: "pending",
          job_id: created.job_id,
        });
        expect(iou(b.coords as number[], norm(...at(f))), `frame ${f}`).toBeGreaterThanOrEqual(0.7);
        expect(b.confidence).toBeGreaterThan(0.2);
      }
      const events = await waitFor(
        () => {
          const mine = live.runs.filter((j) => j.job_id === created.job_id);
          return mine.some((j) => j.progress.final) ? mine : null;
        },
        "the run's final event on the live channel",
        SLOW,
      );
      expect(events[0]?.status).toBe("running");

      const folded = await waitFor(
        async () => {
          const b = (await stored("bboxes")).filter((r) => r.tracklet_id === "t1" && r.source_type === "model");
          return b.length === 10 ? b : null;
        },
        "10 proposals folded into LanceDB",
        SLOW,
      );
      expect(new Set(folded.map((b) => b.frame_index))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
      for (const b of folded)
        expect(b).toMatchObject({
          view_id: `r0-f${b.frame_index}`,
          frame_id: `r0-f${b.frame_index}`,
          entity_id: "e-t1",
        });
      const t1 = await waitFor(
        async () => {
          const t = (await stored("tracklets")).find((r) => r.id === "t1");
          return t && Number(t.end_timestep) === 10 ? t : null;
        },
        "t1's range grown to frame 10 in LanceDB",
        SLOW,
      );
      expect(Number(t1.end_timestep)).toBe(10);
    },
    TEST_MS,
  );

  it(
    "stops on low score where the object is gone, and before a keyframe people made",
    async () => {
      const watcher = watch("r0", "watcher-2");
      await watcher.synced();
      const lost = await ended(
        (await startRun("r0", { model: "tiny-tracker", tracklet_id: "t2", max_frames: 50 })).job_id,
      );
      expect(lost.progress).toMatchObject({ done: 5, frame: 19, stopped_by: "score" });
      await waitFor(() => proposals(watcher, "t2").length === 5, "t2's 5 proposals", SLOW);
      expect(proposals(watcher, "t2").map((b) => Number(b.frame_index))).toEqual([15, 16, 17, 18, 19]);

      const held = await ended(
        (await startRun("r0", { model: "tiny-tracker", tracklet_id: "t3", start_frame: 2, max_frames: 50 })).job_id,
      );
      expect(held.progress).toMatchObject({ done: 5, frame: 7, stopped_by: "keyframe" });
      await waitFor(() => proposals(watcher, "t3").length === 5, "t3's 5 proposals", SLOW);
      const human = readRows(watcher.doc, "bboxes").find((b) => b.id === "b-t3-8");
      expect(human?.coords).toEqual(norm(...at(8)));
    },
    TEST_MS,
  );

  it(
    "cancel stops a run between frames; what it wrote stays, nothing more comes",
    async () => {
      const watcher = watch("r1", "watcher-3");
      await watcher.synced();
      const run = await startRun("r1", { model: "tiny-tracker", tracklet_id: "t4", max_frames: 79 });
      await waitFor(
        async () => (await getJson<TrackJob>(runUrl(run.job_id))).progress.done >= 3,
        "3 frames before the cancel",
        SLOW,
      );
      const r = await postJson(`${runUrl(run.job_id)}/cancel`, {});
      expect(r.status).toBe(200);
      const final = await ended(run.job_id);
      expect(final).toMatchObject({ status: "cancelled" });
      expect(final.progress.stopped_by).toBe("cancel");
      expect(final.progress.done).toBeLessThan(79);
      await waitFor(
        () => proposals(watcher, "t4").length === final.progress.done,
        "the watcher has what the run wrote",
        SLOW,
      );
      // A second run on the same track starts (no 409) and replaces its own pending proposals on frames 1–3.
      const second = await startRun("r1", { model: "tiny-tracker", tracklet_id: "t4", start_frame: 0, max_frames: 3 });
      const again = await ended(second.job_id);
      expect(again.progress).toMatchObject({ done: 3, stopped_by: "max_frames" });
      await waitFor(
        () => {
          const p = proposals(watcher, "t4");
          return p.length === final.progress.done &&
            p.slice(0, 3).every((b) => String(b.source_metadata).includes(second.job_id))
            ? p
            : null;
        },
        "frames 1–3 replaced, no duplicates",
        SLOW,
      );
    },
    TEST_MS,
  );

  it(
    "a track with masks gets a mask proposal in each tracked box from the registered segmentation model",
    async () => {
      const watcher = watch("r0", "watcher-4");
      await watcher.synced();
      const run = await startRun("r0", { model: "tiny-tracker", tracklet_id: "t5", max_frames: 4 });
      expect(run.segmentation_model).toBe("tiny-sam");
      const final = await ended(run.job_id);
      expect(final.progress, JSON.stringify(final)).toMatchObject({
        done: 4,
        table_counts: { keyframes: 4, masks: 4 },
      });
      const masks = await waitFor(
        () => {
          const m = readRows(watcher.doc, "masks").filter((r) => r.tracklet_id === "t5" && r.source_type === "model");
          return m.length === 4 ? m : null;
        },
        "4 mask proposals live",
        SLOW,
      );
      const boxes = proposals(watcher, "t5");
      for (const m of masks) {
        const f = Number(m.frame_index);
        expect(m).toMatchObject({
          view_id: `r0-f${f}`,
          frame_id: `r0-f${f}`,
          entity_id: "e-t5",
          source_name: "tiny-sam",
        });
        expect(m.size).toEqual([H, W]);
        expect(JSON.parse(String(m.source_metadata))).toMatchObject({ review_status: "pending", job_id: run.job_id });
        // The tiny SAM pair draws a disc around the prompt box's centre: the tracked box's centre is inside.
        const box = boxes.find((b) => Number(b.frame_index) === f)?.coords as number[];
        const bits = decodeMask({ size: [H, W], counts: String(m.counts) });
        const cx = Math.floor(((box[0] ?? 0) + (box[2] ?? 0) / 2) * W);
        const cy = Math.floor(((box[1] ?? 0) + (box[3] ?? 0) / 2) * H);
        expect(bits[cy * W + cx], `frame ${f}: the box centre is in the mask`).toBe(1);
      }
      // The human mask keyframe on frame 4 stays as it was.
      expect(readRows(watcher.doc, "masks").find((r) => r.id === "m-t5-4")?.source_type).toBe("");
    },
    TEST_MS,
  );

  it(
    "refuses bad input with a detail and writes nothing",
    async () => {
      const post = (body: Record<string, unknown>, record = "r0") =>
        postJson(`${server.url}/inference/datasets/${DS}/records/${record}/track`, body);
      const noTrack = await post({ model: "tiny-tracker", tracklet_id: "nope" });
      expect(noTrack.status).toBe(404);
      expect(noTrack.body).toMatchObject({ detail: expect.stringMatching(/Track 'nope' not found/) as unknown });
      expect((await post({ model: "missing", tracklet_id: "t1" })).status).toBe(404);
      expect((await post({ model: "tiny-tracker", tracklet_id: "t1", max_frames: 0 })).status).toBe(422);
      const outside = await post({ model: "tiny-tracker", tracklet_id: "t1", start_frame: 29 });
      expect(outside.status).toBe(422);
      expect(outside.body).toMatchObject({ detail: expect.stringMatching(/outside the track/) as unknown });
    },
    TEST_MS,
  );
});

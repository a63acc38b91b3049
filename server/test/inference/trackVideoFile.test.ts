import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRows, type TrackJob } from "@tessera/shared-crdt";
import {
  getJson,
  liveClient,
  spawnServer,
  waitFor,
  type LiveClient,
  type ServerProcess,
} from "../integration/support.js";
import { postJson } from "./support.js";
import { at, buildVideoClipWorld, iou, norm } from "./videoClipWorld.js";

/**
 * Tracking assist on a video file (a Pixano 0.8 `videos` row, decoded by the real ffmpeg through
 * the server's video frame service) with the tiny tracker in the real inference worker: the
 * proposals carry what Pixano 0.8 writes on a video file's frames (`view_id` = the videos row,
 * `frame_id` "", `frame_index`), seen live by a stock y-websocket client. The clip: 24 frames
 * of 160×120 at 24 fps (h264, 4:4:4) with a two-colour square moving (+4, +2) pixels a frame.
 */
const DS = "track_vfile";
const SLOW = 90_000;

let root: string;
let dataDir: string;
let server: ServerProcess;
let watcher: LiveClient | null = null;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-track-vfile-"));
  dataDir = path.join(root, "data");
  await buildVideoClipWorld(dataDir, root, DS);
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

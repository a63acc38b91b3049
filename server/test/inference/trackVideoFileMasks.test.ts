import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeMask, encodeMask, readRows, type TrackJob } from "@tessera/shared-crdt";
import {
  getJson,
  liveClient,
  spawnServer,
  waitFor,
  type LiveClient,
  type ServerProcess,
} from "../integration/support.js";
import { postJson, writeTinySam } from "./support.js";
import { at, buildVideoClipWorld, H, iou, norm, W } from "./videoClipWorld.js";

/**
 * Masks on a video file's frames: a track with a mask keyframe on a Pixano 0.8 `videos` row (frames
 * decoded by the real ffmpeg), the tiny tracker and the tiny SAM pair registered, in the real
 * inference worker. The run proposes a mask in each tracked box, segmented from the frame the run
 * decoded (a video file's frame has no view row of its own), with Pixano 0.8's video-file columns
 * (`view_id` = the videos row, `frame_id` "", `frame_index`), seen live by a stock y-websocket
 * client. The clip: 24 frames of 160×120 at 24 fps (h264, 4:4:4), a square moving (+4, +2) a frame.
 */
const DS = "track_vfile_masks";
const SLOW = 90_000;

let root: string;
let dataDir: string;
let server: ServerProcess;
let watcher: LiveClient | null = null;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-track-vfile-masks-"));
  dataDir = path.join(root, "data");
  await buildVideoClipWorld(dataDir, root, DS, {
    masks: true,
    // A person's mask keyframe on frame 0: the track has masks, so a run proposes one on each frame.
    more: (ds) =>
      ds.add("masks", [
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
      ]),
  });
  writeTinySam(path.join(dataDir, "models", "tiny-sam"));
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

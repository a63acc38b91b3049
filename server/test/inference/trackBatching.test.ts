import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library } from "@tessera/dataset";
import {
  addTrackKeyframe,
  clientOrigin,
  datasetSchemaOf,
  parseDatasetInfo,
  readRows,
  writeRowCells,
  type DocContext,
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
import { postJson } from "./support.js";
import { squareFramePng } from "./videoClipWorld.js";

/**
 * A tracking run writes the frames it tracked in batches (one document transaction every
 * 250 ms), and its stop rules stay exact per frame: against the real server process, the real
 * inference worker (tiny tracker, each step slowed by the test hook to 30 ms, the run paced at
 * 20 frames a second) and stock y-websocket clients. Record `r` is an 80-frame image sequence
 * (160×120 PNGs) with a two-colour square moving one pixel a frame; tracks t1–t3 start from a
 * box keyframe on frame 0.
 */
const DS = "track_batch";
const W = 160;
const H = 120;
const SIDE = 20;
const FRAMES = 80;
const at = (f: number): [number, number] => [20 + f, 30];
const SLOW = 90_000;
const TEST_MS = 300_000;
const TRACKS = ["t1", "t2", "t3", "t4"] as const;

let root: string;
let dataDir: string;
let server: ServerProcess;
const clients: LiveClient[] = [];

const norm = (x: number, y: number): number[] => [x / W, y / H, SIDE / W, SIDE / H];

async function buildDataDir(): Promise<void> {
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
    views: { video: { base: "SequenceFrame", fields: {} } },
  });
  await mkdir(path.join(dataDir, "media"), { recursive: true });
  const frames: Record<string, unknown>[] = [];
  for (let f = 0; f < FRAMES; f++) {
    await writeFile(path.join(dataDir, "media", `f${f}.png`), await squareFramePng(at(f), SIDE));
    frames.push({
      id: `f${f}`,
      record_id: "r",
      logical_name: "video",
      uri: `f${f}.png`,
      frame_index: f,
      timestamp: f / 24,
      width: W,
      height: H,
      format: "PNG",
    });
  }
  await ds.add("records", [{ id: "r", split: "train" }]);
  await ds.add("sequence_frames", frames);
  await ds.add(
    "entities",
    TRACKS.map((t) => ({ id: `e-${t}`, record_id: "r", category: "square" })),
  );
  await ds.add(
    "tracklets",
    TRACKS.map((t) => ({
      id: t,
      record_id: "r",
      entity_id: `e-${t}`,
      view_id: "f0",
      start_timestep: 0,
      end_timestep: 0,
      start_timestamp: 0,
      end_timestamp: 0,
    })),
  );
  await ds.add(
    "bboxes",
    TRACKS.map((t) => ({
      id: `b-${t}-0`,
      record_id: "r",
      entity_id: `e-${t}`,
      tracklet_id: t,
      view_id: "f0",
      frame_id: "f0",
      frame_index: 0,
      coords: norm(...at(0)),
      format: "xywh",
      is_normalized: true,
      confidence: 1,
    })),
  );
  await library.close();
  execFileSync(process.execPath, [
    path.join(ROOT, "scripts", "tiny-tracker.mjs"),
    path.join(dataDir, "models", "tiny-tracker"),
  ]);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-track-batch-"));
  dataDir = path.join(root, "data");
  await buildDataDir();
  server = await spawnServer(dataDir, { TESSERA_TEST_INFERENCE_DELAY_MS: "30" });
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

/** The frames of the model's proposals on a track in a live document, ascending. */
function proposalFrames(c: LiveClient, trackletId: string): number[] {
  return readRows(c.doc, "bboxes")
    .filter((b) => b.tracklet_id === trackletId && b.source_type === "model")
    .map((b) => Number(b.frame_index))
    .sort((a, b) => a - b);
}

/**
 * A stock y-websocket client on record `r`, and for one track the number of new proposal frames
 * each document update it received brought (one entry per update that brought any).
 */
async function watchTrack(name: string, trackletId: string): Promise<{ client: LiveClient; batches: number[] }> {
  const client = liveClient(server, "r", name, DS);
  clients.push(client);
  await client.synced();
  const batches: number[] = [];
  let seen = new Set(proposalFrames(client, trackletId));
  client.doc.on("update", () => {
    const now = new Set(proposalFrames(client, trackletId));
    const added = [...now].filter((f) => !seen.has(f)).length;
    if (added > 0) batches.push(added);
    seen = now;
  });
  return { client, batches };
}

async function startRun(body: Record<string, unknown>): Promise<TrackJob> {
  const r = await postJson(`${server.url}/inference/datasets/${DS}/records/r/track`, body);
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

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("tracking runs write their frames in batches", () => {
  it(
    "the frames of a batch arrive at a stock y-websocket client in one update, each with its provenance",
    async () => {
      const { client, batches } = await watchTrack("watch-batch", "t1");
      const run = await startRun({ model: "tiny-tracker", tracklet_id: "t1", max_frames: 24 });
      const final = await ended(run.job_id);
      expect(final.progress, JSON.stringify(final)).toMatchObject({ done: 24, frame: 24, stopped_by: "max_frames" });
      await waitFor(() => proposalFrames(client, "t1").length === 24, "24 proposals live", SLOW);
      expect(proposalFrames(client, "t1")).toEqual(range(1, 24));
      // One update per frame before; now a batch (≈ 250 ms of frames) per update.
      expect(batches.reduce((a, b) => a + b, 0)).toBe(24);
      expect(batches.length, `frames per update: ${batches.join(",")}`).toBeLessThanOrEqual(12);
      expect(Math.max(...batches)).toBeGreaterThanOrEqual(2);
      for (const b of readRows(client.doc, "bboxes").filter(
        (r) => r.tracklet_id === "t1" && r.source_type === "model",
      )) {
        const meta = JSON.parse(String(b.source_metadata)) as Record<string, unknown>;
        expect(meta).toMatchObject({ job_id: run.job_id, review_status: "pending", tracker: true });
        expect(meta.confidence).toBe(b.confidence);
        expect(b).toMatchObject({ view_id: `f${Number(b.frame_index)}`, source_name: "tiny-tracker" });
      }
    },
    TEST_MS,
  );

  it(
    "while people edit, a run writes its batches in slices of at most two frames, every frame arriving once",
    async () => {
      const { client, batches } = await watchTrack("watch-slices", "t4");
      // A person editing the record: an entity every 100 ms keeps the server's editors active.
      const person = liveClient(server, "r", "person-slices", DS);
      clients.push(person);
      await person.synced();
      let n = 0;
      const edit = () =>
        person.doc.transact(() =>
          writeRowCells(person.doc, "entities", { id: `p-${n++}`, record_id: "r", parent_id: "", category: "x" }),
        );
      edit();
      const timer = setInterval(edit, 100);
      try {
        const run = await startRun({ model: "tiny-tracker", tracklet_id: "t4", max_frames: 24 });
        const final = await ended(run.job_id);
        expect(final.progress, JSON.stringify(final)).toMatchObject({ done: 24, stopped_by: "max_frames" });
      } finally {
        clearInterval(timer);
      }
      await waitFor(() => proposalFrames(client, "t4").length === 24, "24 proposals of t4 live", SLOW);
      expect(proposalFrames(client, "t4")).toEqual(range(1, 24));
      expect(batches.reduce((a, b) => a + b, 0)).toBe(24);
      // A whole batch (≈ 5 frames at 20 frames a second) would hold the editors' event loop 5–10 ms.
      expect(Math.max(...batches), `frames per update: ${batches.join(",")}`).toBeLessThanOrEqual(2);
    },
    TEST_MS,
  );

  it(
    "a keyframe a person adds while a batched run tracks ahead stops the run on that frame",
    async () => {
      const { client, batches } = await watchTrack("watch-keyframe", "t2");
      const info = await getJson<Parameters<typeof parseDatasetInfo>[0]>(`${server.url}/datasets/${DS}/info`);
      const ctx: DocContext = {
        doc: client.doc,
        schema: datasetSchemaOf(parseDatasetInfo(info)),
        recordId: "r",
        newId: () => "b-t2-person",
      };
      const run = await startRun({ model: "tiny-tracker", tracklet_id: "t2", max_frames: FRAMES - 1 });
      // Once the first batch is in, the run is tracking the next frames: a person puts a box
      // a few frames ahead of what it wrote.
      const first = await waitFor(
        () => {
          const p = proposalFrames(client, "t2");
          return p.length > 0 ? p : null;
        },
        "a first batch of t2",
        SLOW,
      );
      const k = Math.max(...first) + 8;
      expect(k).toBeLessThan(FRAMES - 1);
      const person = norm(...at(k));
      addTrackKeyframe(ctx, clientOrigin("person"), {
        trackletId: "t2",
        table: "bboxes",
        frame: { index: k, id: `f${k}`, timestamp: k / 24 },
        fields: { coords: person, format: "xywh", is_normalized: true, confidence: 1 },
      });
      const final = await ended(run.job_id);
      expect(final.progress, JSON.stringify(final)).toMatchObject({
        done: k - 1,
        frame: k - 1,
        stopped_by: "keyframe",
      });
      await waitFor(() => proposalFrames(client, "t2").length === k - 1, `${k - 1} proposals of t2`, SLOW);
      expect(proposalFrames(client, "t2")).toEqual(range(1, k - 1));
      const mine = readRows(client.doc, "bboxes").find((b) => b.id === "b-t2-person");
      expect(mine).toMatchObject({ frame_index: k, source_type: "", coords: person });
      expect(Math.max(...batches), `frames per update: ${batches.join(",")}`).toBeGreaterThanOrEqual(2);
    },
    TEST_MS,
  );

  it(
    "a cancel answered mid-batch drops the frames tracked but not written; nothing is written after it",
    async () => {
      const { client, batches } = await watchTrack("watch-cancel", "t3");
      const run = await startRun({ model: "tiny-tracker", tracklet_id: "t3", max_frames: FRAMES - 1 });
      await waitFor(() => proposalFrames(client, "t3").length > 0, "a first batch of t3", SLOW);
      // The next batch is being tracked now.
      const r = await postJson(`${runUrl(run.job_id)}/cancel`, {});
      expect(r.status).toBe(200);
      const final = await ended(run.job_id);
      expect(final).toMatchObject({ status: "cancelled" });
      expect(final.progress.stopped_by).toBe("cancel");
      expect(final.progress.done).toBeLessThan(FRAMES - 1);
      // What the run says it wrote is exactly what the documents hold: the frames it had tracked
      // and not written when the cancel came are not written later.
      await waitFor(
        () => proposalFrames(client, "t3").length === final.progress.done,
        "the watcher has what the run wrote",
        SLOW,
      );
      expect(proposalFrames(client, "t3")).toEqual(range(1, final.progress.done));
      // A second client joining now gets the same: nothing was written after the cancel.
      const late = liveClient(server, "r", "late", DS);
      clients.push(late);
      await late.synced();
      expect(proposalFrames(late, "t3")).toEqual(range(1, final.progress.done));
      expect(Math.max(...batches), `frames per update: ${batches.join(",")}`).toBeGreaterThanOrEqual(2);
    },
    TEST_MS,
  );
});

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Library } from "@tessera/dataset";
import {
  addTrackKeyframe,
  clientOrigin,
  createTrack,
  datasetSchemaOf,
  parseDatasetInfo,
  withCustom,
  type DocContext,
  type FrameRef,
} from "@tessera/shared-crdt";
import { getJson, liveClient, spawnServer, waitFor, type ServerProcess } from "./support.js";

/**
 * Video files (Pixano 0.8 `videos` rows) on a real server with the real ffmpeg: frames decoded
 * frame-exact and served as the frame batch multipart, refusals with a `{"detail"}`, and a track
 * drawn live on frames of a video file lands with the columns Pixano 0.8 writes for one
 * (fixture `video_file`: `view_id` = the videos row, `frame_id` "", `frame_index`).
 */
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../fixtures/pixano-built");
const MP4 = path.join(FIXTURES, "sources/video_ref/train/tiny.mp4");
const idOf = (dir: string) => (JSON.parse(readFileSync(path.join(dir, "info.json"), "utf8")) as { id: string }).id;
const REF_DIR = path.join(FIXTURES, "library/video_ref");
const FILE_DIR = path.join(FIXTURES, "library-extra/video_file");
const VREF = idOf(REF_DIR);
const VFILE = idOf(FILE_DIR);
type Row = Record<string, unknown>;
const rowsOf = (folder: string, table: string) =>
  (
    JSON.parse(readFileSync(path.join(FIXTURES, "reference", `${folder}.rows.json`), "utf8")) as {
      tables: Record<string, Row[]>;
    }
  ).tables[table] ?? [];
const videoOf = (folder: string, record: string) => {
  const v = rowsOf(folder, "videos").find((r) => r.record_id === record);
  if (!v) throw new Error(`${folder} has no video for ${record}`);
  return String(v.id);
};
const EMBEDDED = videoOf("video_ref", "vid-embedded");
const WINDOW = videoOf("video_ref", "vid-window");
const REMOTE = videoOf("video_ref", "vid-remote");
const MOVIE = videoOf("video_file", "movie");

/** Every frame of the mp4, decoded in order by ffmpeg itself (the reference for frame-exactness). */
function referenceFrames(): Buffer[] {
  const out = execFileSync(
    "ffmpeg",
    ["-hide_banner", "-loglevel", "error", "-i", MP4, "-an", "-vsync", "0", "-f", "image2pipe"].concat([
      "-c:v",
      "mjpeg",
      "-q:v",
      "3",
      "pipe:1",
    ]),
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const frames: Buffer[] = [];
  // Reference JPEGs from one encoder: split at each start-of-image that follows an end-of-image.
  let start = 0;
  for (let i = 2; i + 3 < out.length; i++)
    if (out[i] === 0xff && out[i + 1] === 0xd9 && out[i + 2] === 0xff && out[i + 3] === 0xd8) {
      frames.push(out.subarray(start, i + 2));
      start = i + 2;
    }
  frames.push(out.subarray(start));
  return frames;
}

/** The parts of a frame batch body (`X-Frame-Index` and bytes), read by their `Content-Length`. */
function parts(body: Buffer): Array<{ index: number; type: string; bytes: Buffer }> {
  const out: Array<{ index: number; type: string; bytes: Buffer }> = [];
  let pos = 0;
  for (;;) {
    const end = body.indexOf("\r\n\r\n", pos);
    const head = body.subarray(pos, end < 0 ? body.length : end).toString("latin1");
    if (head.startsWith("--frame_boundary--")) return out;
    expect(head.startsWith("--frame_boundary\r\n")).toBe(true);
    const field = (name: string) => new RegExp(`${name}: ([^\\r]+)`).exec(head)?.[1] ?? "";
    const length = Number(field("Content-Length"));
    out.push({
      index: Number(field("X-Frame-Index")),
      type: field("Content-Type"),
      bytes: body.subarray(end + 4, end + 4 + length),
    });
    pos = end + 4 + length + 2;
  }
}

let server: ServerProcess;
let root: string;
let ref: Buffer[];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-vfile-"));
  const dataDir = path.join(root, "data");
  await cp(REF_DIR, path.join(dataDir, "library", "video_ref"), { recursive: true });
  await cp(FILE_DIR, path.join(dataDir, "library", "video_file"), { recursive: true });
  // A bad file: the remote row made an embedded one whose bytes are no video.
  const ds = await new Library(dataDir).open(VREF);
  if (!ds) throw new Error("video_ref does not open");
  await ds.update("videos", REMOTE, { uri: "", raw_bytes: new TextEncoder().encode("not a video at all") });
  ds.close();
  // video_file's movie as a file in DATA_DIR/media (a `uri` row) instead of embedded bytes.
  await mkdir(path.join(dataDir, "media", "clips"), { recursive: true });
  await copyFile(MP4, path.join(dataDir, "media", "clips", "tiny.mp4"));
  const vf = await new Library(dataDir).open(VFILE);
  if (!vf) throw new Error("video_file does not open");
  await vf.update("videos", MOVIE, { uri: "clips/tiny.mp4", raw_bytes: new Uint8Array(0) });
  vf.close();
  ref = referenceFrames();
  server = await spawnServer(dataDir);
});

afterAll(async () => {
  await server?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const frames = (video: string, query = "", dataset = VREF) =>
  fetch(`${server.url}/datasets/${dataset}/videos/${video}/frames${query}`);

describe("frames of a video file, decoded by ffmpeg", () => {
  it("serves a batch frame-exact as the frame batch multipart: frame i is ffmpeg's frame i and differs from i+1", async () => {
    expect(ref).toHaveLength(6);
    const res = await frames(EMBEDDED, "?start_frame=0&batch_size=6");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("multipart/x-mixed-replace; boundary=frame_boundary");
    expect(res.headers.get("x-total-frames")).toBe("6");
    const got = parts(Buffer.from(await res.arrayBuffer()));
    expect(got.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const p of got) {
      expect(p.type).toBe("image/jpeg");
      expect(p.bytes.equals(ref[p.index] as Buffer), `frame ${p.index}`).toBe(true);
    }
    for (let i = 0; i + 1 < got.length; i++) expect(got[i]?.bytes.equals(got[i + 1]?.bytes as Buffer)).toBe(false);
  });

  it("seeks frame-exact: a single frame, a batch from the middle, and a time window (from_timestamp 0.5 s)", async () => {
    for (const i of [5, 3, 0, 4]) {
      const res = await frames(EMBEDDED, `/${i}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/jpeg");
      expect(Buffer.from(await res.arrayBuffer()).equals(ref[i] as Buffer), `frame ${i}`).toBe(true);
    }
    const mid = parts(Buffer.from(await (await frames(EMBEDDED, "?start_frame=2&batch_size=3")).arrayBuffer()));
    expect(mid.map((p) => p.index)).toEqual([2, 3, 4]);
    expect(mid.every((p) => p.bytes.equals(ref[p.index] as Buffer))).toBe(true);
    // vid-window: 3 frames from 0.5 s at 6 fps = the file's frames 3, 4, 5.
    const win = parts(Buffer.from(await (await frames(WINDOW, "?batch_size=16")).arrayBuffer()));
    expect(win.map((p) => p.index)).toEqual([0, 1, 2]);
    win.forEach((p) => expect(p.bytes.equals(ref[p.index + 3] as Buffer), `window frame ${p.index}`).toBe(true));
  });

  it("decodes a video stored as a file in the media folder (a uri row), and says when the file is gone", async () => {
    const res = await frames(MOVIE, "/4", VFILE);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(ref[4] as Buffer)).toBe(true);
    const media = path.join(root, "data", "media", "clips");
    await rename(path.join(media, "tiny.mp4"), path.join(media, "moved.mp4"));
    try {
      const gone = await frames(MOVIE, "/4", VFILE);
      expect(gone.status).toBe(404);
      expect(((await gone.json()) as { detail: string }).detail).toMatch(/not found/);
    } finally {
      await rename(path.join(media, "moved.mp4"), path.join(media, "tiny.mp4"));
    }
  });

  it("refuses out-of-range frames, bad parameters, remote and undecodable videos with a detail, and keeps serving", async () => {
    const cases: Array<[string, string, number, RegExp]> = [
      [EMBEDDED, "/6", 404, /outside the video \(6 frames\)/],
      [EMBEDDED, "?start_frame=6", 404, /outside the video/],
      [WINDOW, "/3", 404, /outside the video \(3 frames\)/],
      [EMBEDDED, "/-1", 422, /non-negative integer/],
      [EMBEDDED, "/x", 422, /non-negative integer/],
      [EMBEDDED, "?batch_size=33", 422, /less than or equal to 32/],
      [EMBEDDED, "?start_frame=-1", 422, /greater than or equal to 0/],
      ["no-such-video", "/0", 404, /not found/],
      [REMOTE, "/0", 422, /could not be decoded/],
      [REMOTE, "?batch_size=4", 422, /could not be decoded/],
    ];
    for (const [video, query, status, detail] of cases) {
      const res = await frames(video, query);
      expect(res.status, `${video}${query}`).toBe(status);
      const body = (await res.json()) as { detail: unknown };
      expect(JSON.stringify(body.detail), `${video}${query}`).toMatch(detail);
    }
    const after = await frames(EMBEDDED, "/1");
    expect(after.status).toBe(200);
    expect(Buffer.from(await after.arrayBuffer()).equals(ref[1] as Buffer)).toBe(true);
    expect(server.alive()).toBe(true);
  });

  it("is in /openapi.json with its declared parameters", async () => {
    const doc = await getJson<{ paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>> }>(
      `${server.url}/openapi.json`,
    );
    const batch = doc.paths["/datasets/{dataset_id}/videos/{id}/frames"]?.get;
    expect(batch?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(["start_frame", "batch_size"]));
    expect(doc.paths["/datasets/{dataset_id}/videos/{id}/frames/{frame_index}"]?.get).toBeDefined();
  });
});

describe("a server without ffmpeg", () => {
  it("answers 501 with a detail naming ffmpeg, and keeps serving the rest", async () => {
    const bare = await spawnServer(path.join(root, "data"), { PATH: path.join(root, "no-bin") });
    try {
      for (const query of ["/0", "?batch_size=2"]) {
        const res = await fetch(`${bare.url}/datasets/${VREF}/videos/${EMBEDDED}/frames${query}`);
        expect(res.status).toBe(501);
        expect(((await res.json()) as { detail: string }).detail).toMatch(/needs ffmpeg/);
      }
      const list = await getJson<{ total: number }>(`${bare.url}/datasets/${VREF}/videos`);
      expect(list.total).toBe(3);
      expect(bare.alive()).toBe(true);
    } finally {
      await bare.stop();
    }
  });
});

describe("a track drawn live on a video file lands as Pixano 0.8 writes one", () => {
  it("the tracklet and keyframes have the fixture's shapes: view_id = the videos row, frame_id empty, frame_index", async () => {
    const info = await getJson<Parameters<typeof parseDatasetInfo>[0]>(`${server.url}/datasets/${VFILE}/info`);
    const client = liveClient(server, "movie", "vera", VFILE);
    await client.synced();
    let n = 0;
    const ctx: DocContext = {
      doc: client.doc,
      schema: datasetSchemaOf(parseDatasetInfo(info)),
      recordId: "movie",
      newId: () => `vf-${++n}`,
    };
    const me = clientOrigin("vera");
    const frame = (i: number): FrameRef => ({ index: i, id: MOVIE, timestamp: i / 6, frameId: "" });
    const box = (x: number) => ({ coords: [x, 0.2, 0.25, 0.3], format: "xywh", is_normalized: true });
    const t = createTrack(ctx, me, {
      entity: withCustom({}, { category: "square" }),
      viewId: MOVIE,
      frame: frame(1),
      table: "bboxes",
      fields: box(0.1),
    });
    addTrackKeyframe(ctx, me, { trackletId: t.trackletId, table: "bboxes", frame: frame(3), fields: box(0.4) });

    const rest = async (resource: string) =>
      (await getJson<{ items: Row[] }>(`${server.url}/datasets/${VFILE}/${resource}?record_id=movie&limit=100`)).items;
    const ours = await waitFor(
      async () => {
        const rows = (await rest("bboxes")).filter((r) => r.tracklet_id === t.trackletId);
        return rows.length === 2 && rows;
      },
      "the keyframes in LanceDB (persist worker)",
      15_000,
    );
    const typesOf = (r: Row) =>
      Object.fromEntries(Object.keys(r).map((k) => [k, Array.isArray(r[k]) ? "array" : typeof r[k]]));
    const pixanoBox = (await rest("bboxes")).find((r) => r.tracklet_id !== t.trackletId);
    expect(pixanoBox).toMatchObject({ view_id: MOVIE, frame_id: "", frame_index: 0 });
    for (const [i, r] of ours.sort((a, b) => Number(a.frame_index) - Number(b.frame_index)).entries()) {
      expect(typesOf(r)).toEqual(typesOf(pixanoBox as Row));
      expect(r).toMatchObject({
        entity_id: t.entityId,
        tracklet_id: t.trackletId,
        view_id: MOVIE,
        frame_id: "",
        frame_index: [1, 3][i],
      });
    }
    const tracklets = await rest("tracklets");
    const pixanoTrack = tracklets.find((r) => r.id !== t.trackletId);
    const track = tracklets.find((r) => r.id === t.trackletId);
    expect(pixanoTrack?.view_id).toBe(MOVIE);
    expect(typesOf(track as Row)).toEqual(typesOf(pixanoTrack as Row));
    expect(track).toMatchObject({ view_id: MOVIE, start_timestep: 1, end_timestep: 3 });
    expect(track?.start_timestamp).toBeCloseTo(1 / 6, 9);
    expect(track?.end_timestamp).toBeCloseTo(3 / 6, 9);
    client.destroy();
  });
});

import { readFileSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addTrackKeyframe,
  clientOrigin,
  createTrack,
  datasetSchemaOf,
  materialiseKeyframe,
  parseDatasetInfo,
  withCustom,
  type DocContext,
} from "@tessera/shared-crdt";
import { getJson, liveClient, spawnServer, waitFor, type ServerProcess } from "./support.js";

/**
 * The rows the video workspace writes (a track drawn on frames of a clip, a keyframe added, an
 * interpolated box materialised) go through the live socket and the persist worker into the
 * Pixano-built `video` fixture, and come back from REST with the shapes Pixano 0.8 wrote there
 * itself: the same columns and types as its tracklets and per-frame bboxes, `frame_index` and
 * `frame_id` of the frame row, `view_id` = `frame_id` (Pixano's UI rule), `tracklet_id` set.
 */
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../fixtures/pixano-built");
const INFO = JSON.parse(readFileSync(path.join(FIXTURES, "library/video/info.json"), "utf8")) as { id: string };
const REFERENCE = JSON.parse(readFileSync(path.join(FIXTURES, "reference/video.rows.json"), "utf8")) as {
  tables: Record<string, Array<Record<string, unknown>>>;
};
type Row = Record<string, unknown>;
const DATASET = INFO.id;
const RECORD = "clip1";
/** clip1's frames as Pixano wrote them: row id and timestamp by frame index. */
const FRAMES = (REFERENCE.tables.sequence_frames ?? [])
  .filter((f) => f.record_id === RECORD)
  .map((f) => ({ index: Number(f.frame_index), id: String(f.id), timestamp: Number(f.timestamp) }))
  .sort((a, b) => a.index - b.index);

const frame = (i: number) => {
  const f = FRAMES[i];
  if (!f) throw new Error(`clip1 has no frame ${i}`);
  return f;
};
const typesOf = (r: Row) =>
  Object.fromEntries(Object.keys(r).map((k) => [k, Array.isArray(r[k]) ? "array" : typeof r[k]]));

let server: ServerProcess;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-video-"));
  await cp(path.join(FIXTURES, "library", "video"), path.join(root, "data", "library", "video"), { recursive: true });
  server = await spawnServer(path.join(root, "data"));
});

afterAll(async () => {
  await server?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("video tracks written live land as Pixano 0.8 writes them", () => {
  it("a drawn track, a keyframe and a materialised box have the fixture's tracklet and per-frame bbox shapes", async () => {
    const info = await getJson<Parameters<typeof parseDatasetInfo>[0]>(`${server.url}/datasets/${DATASET}/info`);
    const client = liveClient(server, RECORD, "vera", DATASET);
    await client.synced();
    let n = 0;
    const ctx: DocContext = {
      doc: client.doc,
      schema: datasetSchemaOf(parseDatasetInfo(info)),
      recordId: RECORD,
      newId: () => `vid-${++n}`,
    };
    const me = clientOrigin("vera");
    const box = (x: number) => ({
      coords: [x, 0.25, 0.2, 0.3],
      format: "xywh",
      is_normalized: true,
      source_type: "human",
    });
    // The canvas's tracklet view is the view's first frame row (as Pixano's builder wrote clip1's).
    const t = createTrack(ctx, me, {
      entity: withCustom({}, { category: "ball" }),
      viewId: frame(0).id,
      frame: frame(1),
      table: "bboxes",
      fields: box(0.1),
    });
    addTrackKeyframe(ctx, me, { trackletId: t.trackletId, table: "bboxes", frame: frame(3), fields: box(0.5) });
    const mid = materialiseKeyframe(ctx, me, t.trackletId, frame(2)).bboxes;
    expect(mid).toBeDefined();

    const rest = async (resource: string) =>
      (await getJson<{ items: Row[] }>(`${server.url}/datasets/${DATASET}/${resource}?record_id=${RECORD}&limit=100`))
        .items;
    const bboxes = await waitFor(
      async () => {
        const rows = (await rest("bboxes")).filter((r) => r.tracklet_id === t.trackletId);
        return rows.length === 3 && rows;
      },
      "the new keyframes in LanceDB (persist worker)",
      15_000,
    );
    const tracklets = await rest("tracklets");
    const ours = tracklets.find((r) => r.id === t.trackletId);
    const pixanoTrack = tracklets.find((r) => r.id !== t.trackletId && r.view_id !== "");
    expect(ours).toBeDefined();
    expect(pixanoTrack).toBeDefined();
    expect(typesOf(ours as Row)).toEqual(typesOf(pixanoTrack as Row));
    expect(ours).toMatchObject({
      entity_id: t.entityId,
      view_id: frame(0).id,
      start_timestep: 1,
      end_timestep: 3,
      start_timestamp: frame(1).timestamp,
      end_timestamp: frame(3).timestamp,
    });

    const pixanoBox = (await rest("bboxes")).find((r) => r.tracklet_id !== t.trackletId && r.tracklet_id !== "");
    expect(pixanoBox).toBeDefined();
    const byFrame = new Map(bboxes.map((r) => [r.frame_index, r]));
    for (const i of [1, 2, 3]) {
      const r = byFrame.get(i);
      expect(r, `keyframe on frame ${i}`).toBeDefined();
      expect(typesOf(r as Row)).toEqual(typesOf(pixanoBox as Row));
      expect(r).toMatchObject({
        entity_id: t.entityId,
        tracklet_id: t.trackletId,
        frame_index: i,
        frame_id: frame(i).id,
        view_id: frame(i).id,
        entity_dynamic_state_id: "",
        format: "xywh",
        is_normalized: true,
      });
    }
    // The materialised box is the linear interpolation Pixano's UI shows on frame 2.
    expect((byFrame.get(2)?.coords as number[])[0]).toBeCloseTo(0.3, 9);
    client.destroy();
  });
});

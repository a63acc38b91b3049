import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  addTrackKeyframe,
  clientOrigin,
  createTrack,
  readRow,
  readRows,
  tableMap,
  type DocContext,
  type FrameRef,
} from "@tessera/shared-crdt";
import { fullSchema } from "../../../shared-crdt/test/support/schema.js";
import { writeTrackedFrames, type TrackedFrame } from "../../src/inference/track/keyframes.js";

/**
 * A tracking run's batch write into the record document (`writeTrackedFrames`), on a plain Yjs
 * document: what it writes, where it stops, and that a batch grows the track once.
 */
const frame = (i: number): FrameRef => ({ index: i, id: `f${i}`, timestamp: i / 10 });
const run = { trackletId: "", model: "tracker", jobId: "job-1" };
const tracked = (i: number): TrackedFrame => ({
  frame: frame(i),
  size: [100, 200],
  box: [20 + i, 10, 40, 30],
  score: 0.9,
});

function world() {
  let n = 0;
  const ctx: DocContext = { doc: new Y.Doc(), schema: fullSchema(), recordId: "r1", newId: () => `id${++n}` };
  const t = createTrack(ctx, clientOrigin("person"), {
    viewId: "f0",
    frame: frame(0),
    table: "bboxes",
    fields: { coords: [0.1, 0.1, 0.2, 0.3], format: "xywh", is_normalized: true },
  });
  return { ctx, trackletId: t.trackletId };
}

/** How many values the tracklet's `key` cell has held (Yjs keeps one item per set of a map key). */
function setsOf(doc: Y.Doc, trackletId: string, key: string): number {
  const m = tableMap(doc, "tracklets").get(trackletId) as Y.Map<unknown>;
  let item = (m as unknown as { _map: Map<string, { left: unknown }> })._map.get(key) ?? null;
  let count = 0;
  while (item) {
    count++;
    item = item.left as typeof item | null;
  }
  return count;
}

describe("writeTrackedFrames", () => {
  it("writes a batch's frames as pending model keyframes and grows the track once for the batch", () => {
    const { ctx, trackletId } = world();
    const r = { ...run, trackletId };
    const out = ctx.doc.transact(() =>
      writeTrackedFrames(ctx.doc, ctx.schema, "r1", "u1", r, [1, 2, 3, 4, 5].map(tracked)),
    );
    expect(out).toEqual({ written: 5, stop: null, at: -1 });
    expect(readRow(ctx.doc, "tracklets", trackletId)).toMatchObject({
      start_timestep: 0,
      end_timestep: 5,
      start_timestamp: 0,
      end_timestamp: 0.5,
    });
    const boxes = readRows(ctx.doc, "bboxes").filter((b) => b.source_type === "model");
    expect(boxes.map((b) => Number(b.frame_index)).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const b of boxes) {
      expect(b).toMatchObject({
        tracklet_id: trackletId,
        source_name: "tracker",
        view_id: `f${Number(b.frame_index)}`,
      });
      expect(JSON.parse(String(b.source_metadata))).toMatchObject({ job_id: "job-1", review_status: "pending" });
    }
    // Created, then grown once for the five frames (a patch per frame would have set it five times).
    expect(setsOf(ctx.doc, trackletId, "end_timestep")).toBe(2);
    expect(setsOf(ctx.doc, trackletId, "end_timestamp")).toBe(2);
  });

  it("replaces its own pending proposals in place and stops on a person's keyframe, the frames before it written", () => {
    const { ctx, trackletId } = world();
    const r = { ...run, trackletId };
    ctx.doc.transact(() => writeTrackedFrames(ctx.doc, ctx.schema, "r1", "u1", r, [1, 2, 3].map(tracked)));
    const before = readRows(ctx.doc, "bboxes").filter((b) => b.source_type === "model");
    addTrackKeyframe(ctx, clientOrigin("person"), {
      trackletId,
      table: "bboxes",
      frame: frame(6),
      fields: { coords: [0.5, 0.5, 0.1, 0.1], format: "xywh", is_normalized: true },
    });
    const out = ctx.doc.transact(() =>
      writeTrackedFrames(ctx.doc, ctx.schema, "r1", "u1", r, [2, 3, 4, 5, 6, 7].map(tracked)),
    );
    expect(out).toEqual({ written: 4, stop: "keyframe", at: 6 });
    const after = readRows(ctx.doc, "bboxes").filter((b) => b.source_type === "model");
    expect(after.map((b) => Number(b.frame_index)).sort()).toEqual([1, 2, 3, 4, 5]);
    // Frames 2 and 3 kept their rows (one keyframe per frame), with the new boxes.
    for (const f of [2, 3]) {
      const old = before.find((b) => Number(b.frame_index) === f);
      const now = after.find((b) => Number(b.frame_index) === f);
      expect(now?.id).toBe(old?.id);
    }
    expect(readRow(ctx.doc, "bboxes", after.find((b) => Number(b.frame_index) === 1)?.id ?? "")).toBeTruthy();
    // The track already reached frame 6 (the person's keyframe): the batch did not move its end.
    expect(readRow(ctx.doc, "tracklets", trackletId)).toMatchObject({ end_timestep: 6, end_timestamp: 0.6 });
  });

  it("writes nothing once the track is gone", () => {
    const { ctx, trackletId } = world();
    tableMap(ctx.doc, "tracklets").delete(trackletId);
    const out = writeTrackedFrames(ctx.doc, ctx.schema, "r1", "u1", { ...run, trackletId }, [tracked(1)]);
    expect(out).toEqual({ written: 0, stop: "track_gone", at: 1 });
    expect(readRows(ctx.doc, "bboxes").filter((b) => b.source_type === "model")).toEqual([]);
  });
});

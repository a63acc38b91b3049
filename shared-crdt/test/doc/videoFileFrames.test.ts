import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  addTrackKeyframe,
  clientOrigin,
  createTrack,
  materialiseKeyframe,
  readRow,
  readRows,
  setTrackState,
  type DocContext,
  type FrameRef,
} from "../../src/index.js";
import { fullSchema } from "../support/schema.js";

/**
 * SPEC D-VFILE-1: on a video file's frame (a `videos` row, no frame row of its own) every
 * per-frame row a track edit writes carries `view_id` = the `videos` row and `frame_id` "",
 * as Pixano 0.8 writes them; frames of `sequence_frames` keep `frame_id` = `view_id`.
 */
function ctx(): DocContext {
  let n = 0;
  return { doc: new Y.Doc(), schema: fullSchema(), recordId: "r1", newId: () => `id${++n}` };
}
const me = clientOrigin("s1");
const VIDEO = "video-row";
const frame = (i: number): FrameRef => ({ index: i, id: VIDEO, timestamp: i / 6, frameId: "" });
const box = (x: number) => ({ coords: [x, 0.1, 0.2, 0.2], format: "xywh", is_normalized: true });

describe("track edits on a video file's frames (SPEC D-VFILE-1)", () => {
  it("D-VFILE-1 createTrack, addTrackKeyframe, materialiseKeyframe and setTrackState write view_id = the videos row, frame_id empty", () => {
    const c = ctx();
    const t = createTrack(c, me, { viewId: VIDEO, frame: frame(1), table: "bboxes", fields: box(0.1) });
    addTrackKeyframe(c, me, { trackletId: t.trackletId, table: "bboxes", frame: frame(5), fields: box(0.5) });
    materialiseKeyframe(c, me, t.trackletId, frame(3));
    setTrackState(c, me, { trackletId: t.trackletId, frame: frame(3), fields: {} });
    expect(readRow(c.doc, "tracklets", t.trackletId)).toMatchObject({
      view_id: VIDEO,
      start_timestep: 1,
      end_timestep: 5,
    });
    const boxes = readRows(c.doc, "bboxes").sort((a, b) => Number(a.frame_index) - Number(b.frame_index));
    expect(boxes.map((b) => [b.frame_index, b.view_id, b.frame_id])).toEqual([
      [1, VIDEO, ""],
      [3, VIDEO, ""],
      [5, VIDEO, ""],
    ]);
    expect(readRows(c.doc, "entity_dynamic_states").map((s) => [s.frame_index, s.view_id, s.frame_id])).toEqual([
      [3, VIDEO, ""],
    ]);
  });

  it("a sequence frame (no frameId) still writes frame_id = view_id = its row id", () => {
    const c = ctx();
    const t = createTrack(c, me, {
      viewId: "f0",
      frame: { index: 2, id: "f2", timestamp: 0.2 },
      table: "bboxes",
      fields: box(0.1),
    });
    expect(readRow(c.doc, "bboxes", t.annotationId)).toMatchObject({ view_id: "f2", frame_id: "f2", frame_index: 2 });
  });
});

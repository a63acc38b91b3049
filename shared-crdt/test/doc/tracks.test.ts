import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import {
  clientOrigin,
  createTrack,
  deleteTrack,
  DocEditError,
  endTrackAt,
  extendTrack,
  materialiseKeyframe,
  readRow,
  readRows,
  trackKeyframes,
  trackShapeAt,
  setTrackState,
  trackStateAt,
  addTrackKeyframe,
  customCell,
  datasetSchemaOf,
  parseDatasetInfo,
  addKeyframe,
  addRow,
  type DocContext,
  type FrameRef,
} from "../../src/index.js";
import { fullSchema } from "../support/schema.js";

function ctx(): DocContext {
  let n = 0;
  return { doc: new Y.Doc(), schema: fullSchema(), recordId: "r1", newId: () => `id${++n}` };
}
const me = clientOrigin("s1");
/** Frame `i` of a 10 fps clip, its row id `f<i>`. */
const frame = (i: number): FrameRef => ({ index: i, id: `f${i}`, timestamp: i / 10 });
const box = (x: number, y = 0.1) => ({ coords: [x, y, 0.2, 0.2], format: "xywh", is_normalized: true });

/** A track with box keyframes at 0 (x 0.1) and 10 (x 0.6). */
function twoKeyframes(c: DocContext) {
  const t = createTrack(c, me, { viewId: "f0", frame: frame(0), table: "bboxes", fields: box(0.1) });
  addKeyframe(c, me, { trackletId: t.trackletId, table: "bboxes", frameIndex: 10, frameId: "f10", fields: box(0.6) });
  return t;
}

describe("track edits (SPEC D-TRACK-0 … D-TRACK-7)", () => {
  it("D-TRACK-1 creates entity, tracklet and first keyframe in one transaction, with Pixano's per-frame fields", () => {
    const c = ctx();
    let transactions = 0;
    c.doc.on("afterTransaction", () => transactions++);
    const t = createTrack(c, me, { viewId: "f0", frame: frame(3), table: "bboxes", fields: box(0.1) });
    expect(transactions).toBe(1);
    expect(readRow(c.doc, "tracklets", t.trackletId)).toMatchObject({
      entity_id: t.entityId,
      view_id: "f0",
      start_timestep: 3,
      end_timestep: 3,
      start_timestamp: 0.3,
      end_timestamp: 0.3,
    });
    expect(readRow(c.doc, "bboxes", t.annotationId)).toMatchObject({
      entity_id: t.entityId,
      tracklet_id: t.trackletId,
      frame_index: 3,
      frame_id: "f3",
      view_id: "f3",
    });
  });

  it("D-TRACK-1 refuses an invalid keyframe before writing anything", () => {
    const c = ctx();
    expect(() =>
      createTrack(c, me, { viewId: "f0", frame: frame(0), table: "bboxes", fields: { coords: [0, 0, 0] } }),
    ).toThrow();
    expect(readRows(c.doc, "entities")).toEqual([]);
    expect(readRows(c.doc, "tracklets")).toEqual([]);
  });

  it("interpolates boxes linearly between keyframes and holds the ends inside the range", () => {
    const c = ctx();
    const t = twoKeyframes(c);
    const keys = trackKeyframes(c, t.trackletId, "bboxes");
    expect(keys.map((k) => k.frameIndex)).toEqual([0, 10]);
    const at = (f: number, range = { start: 0, end: 10 }) => trackShapeAt(keys, range, f)?.coords as number[];
    expect(at(5)?.[0]).toBeCloseTo(0.35, 12);
    expect(at(10)?.[0]).toBe(0.6);
    expect(at(12, { start: 0, end: 12 })?.[0]).toBe(0.6);
    expect(trackShapeAt(keys, { start: 0, end: 10 }, 11)).toBeUndefined();
  });

  it("D-TRACK-2 materialises the interpolated box as a keyframe of the track", () => {
    const c = ctx();
    const t = twoKeyframes(c);
    const made = materialiseKeyframe(c, me, t.trackletId, frame(4));
    const row = readRow(c.doc, "bboxes", made.bboxes as string);
    expect(row).toMatchObject({ tracklet_id: t.trackletId, frame_index: 4, frame_id: "f4", view_id: "f4" });
    expect(row?.coords[0]).toBeCloseTo(0.3, 12);
    // Again on the same frame: the keyframe exists, nothing new.
    expect(materialiseKeyframe(c, me, t.trackletId, frame(4))).toEqual(made);
    expect(readRows(c.doc, "bboxes")).toHaveLength(3);
    expect(() => materialiseKeyframe(c, me, t.trackletId, frame(11))).toThrow(DocEditError);
  });

  it("D-TRACK-3 extends a track to a later and an earlier frame, ending on stored shapes", () => {
    const c = ctx();
    const t = twoKeyframes(c);
    extendTrack(c, me, t.trackletId, frame(15));
    expect(readRow(c.doc, "tracklets", t.trackletId)).toMatchObject({ end_timestep: 15, end_timestamp: 1.5 });
    const k15 = trackKeyframes(c, t.trackletId, "bboxes").find((k) => k.frameIndex === 15);
    expect(k15?.row.coords).toEqual([0.6, 0.1, 0.2, 0.2]);
    expect(k15?.row.frame_id).toBe("f15");
    expect(() => extendTrack(c, me, t.trackletId, frame(7))).toThrow(DocEditError);
  });

  it("D-TRACK-4 outside: the track ends on the frame, later keyframes and states are deleted", () => {
    const c = ctx();
    const t = twoKeyframes(c);
    addRow(c, me, "entity_dynamic_states", { entity_id: t.entityId, tracklet_id: t.trackletId, frame_index: 10 });
    endTrackAt(c, me, t.trackletId, frame(6));
    expect(readRow(c.doc, "tracklets", t.trackletId)).toMatchObject({ start_timestep: 0, end_timestep: 6 });
    const keys = trackKeyframes(c, t.trackletId, "bboxes");
    expect(keys.map((k) => k.frameIndex)).toEqual([0, 6]);
    expect(keys[1]?.row.coords[0]).toBeCloseTo(0.4, 12);
    expect(readRows(c.doc, "entity_dynamic_states")).toEqual([]);
    expect(() => endTrackAt(c, me, t.trackletId, frame(6))).toThrow(DocEditError);
  });

  it("D-TRACK-5 deletes a track with its keyframes, and its entity when nothing else is left", () => {
    const c = ctx();
    const a = twoKeyframes(c);
    const b = createTrack(c, me, { viewId: "f0", frame: frame(1), table: "bboxes", fields: box(0.5) });
    // A second track of the same entity keeps the entity alive when the first goes.
    const second = addRow(c, me, "tracklets", { entity_id: b.entityId, start_timestep: 5, end_timestep: 6 });
    deleteTrack(c, me, a.trackletId);
    expect(readRow(c.doc, "tracklets", a.trackletId)).toBeUndefined();
    expect(readRows(c.doc, "bboxes").map((r) => r.tracklet_id)).toEqual([b.trackletId]);
    expect(readRow(c.doc, "entities", a.entityId)).toBeUndefined();
    deleteTrack(c, me, b.trackletId);
    expect(readRow(c.doc, "entities", b.entityId)).toBeDefined();
    deleteTrack(c, me, second);
    expect(readRows(c.doc, "entities")).toEqual([]);
  });

  it("two people editing different tracks of one record merge", () => {
    const a = ctx();
    const b: DocContext = { ...ctx(), doc: new Y.Doc() };
    const ta = twoKeyframes(a);
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    const tb = createTrack(
      {
        ...b,
        newId: (() => {
          let n = 0;
          return () => `b${++n}`;
        })(),
      },
      clientOrigin("s2"),
      {
        viewId: "f0",
        frame: frame(2),
        table: "bboxes",
        fields: box(0.7),
      },
    );
    materialiseKeyframe(a, me, ta.trackletId, frame(5));
    Y.applyUpdate(a.doc, Y.encodeStateAsUpdate(b.doc));
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    for (const c of [a, b]) {
      expect(trackKeyframes(c, ta.trackletId, "bboxes").map((k) => k.frameIndex)).toEqual([0, 5, 10]);
      expect(trackKeyframes(c, tb.trackletId, "bboxes").map((k) => k.frameIndex)).toEqual([2]);
    }
  });

  it("D-TRACK-6 sets a track's state on a frame: a new state carries the previous values and the keyframe points to it", () => {
    const plain = (base: string) => ({ base, fields: {} });
    const schema = datasetSchemaOf(
      parseDatasetInfo({
        id: "v",
        name: "v",
        workspace: "video",
        record: plain("Record"),
        entity: plain("Entity"),
        entity_dynamic_state: {
          base: "EntityDynamicState",
          name: "State",
          fields: {
            occluded: { collection: false, type: "bool", required: false, default: false },
            visibility: { collection: false, type: "float", required: false, default: 0 },
          },
        },
        bbox: plain("BBox"),
        tracklet: plain("Tracklet"),
        views: { image: plain("SequenceFrame") },
      }),
    );
    const c: DocContext = { ...ctx(), schema };
    const t = twoKeyframes(c);
    const s0 = setTrackState(c, me, { trackletId: t.trackletId, frame: frame(0), fields: { visibility: 0.8 } });
    expect(readRow(c.doc, "bboxes", t.annotationId)?.entity_dynamic_state_id).toBe(s0);
    expect(trackStateAt(c, t.trackletId, 7)?.frameIndex).toBe(0);
    const s10 = setTrackState(c, me, { trackletId: t.trackletId, frame: frame(10), fields: { occluded: true } });
    const row = readRow(c.doc, "entity_dynamic_states", s10);
    expect(row).toMatchObject({ frame_index: 10, frame_id: "f10", view_id: "f10", tracklet_id: t.trackletId });
    expect(customCell(row, "occluded")).toBe(true);
    expect(customCell(row, "visibility")).toBe(0.8);
    // On a frame with a state, that state is edited in place.
    expect(setTrackState(c, me, { trackletId: t.trackletId, frame: frame(10), fields: { visibility: 0.2 } })).toBe(s10);
    expect(readRows(c.doc, "entity_dynamic_states")).toHaveLength(2);
  });

  it("D-TRACK-7 a keyframe past the track's end moves end_timestamp with end_timestep (addKeyframe left it stale)", () => {
    const c = ctx();
    const t = createTrack(c, me, { viewId: "f0", frame: frame(1), table: "bboxes", fields: box(0.1) });
    addTrackKeyframe(c, me, { trackletId: t.trackletId, table: "bboxes", frame: frame(3), fields: box(0.5) });
    addTrackKeyframe(c, me, { trackletId: t.trackletId, table: "bboxes", frame: frame(0), fields: box(0.0) });
    expect(readRow(c.doc, "tracklets", t.trackletId)).toMatchObject({
      start_timestep: 0,
      end_timestep: 3,
      start_timestamp: 0,
      end_timestamp: 0.3,
    });
  });
});

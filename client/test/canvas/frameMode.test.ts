import "./pixiInNode.js";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import {
  addKeyframe,
  addRow,
  clientOrigin,
  createTrack,
  datasetSchemaOf,
  parseDatasetInfo,
  readRow,
  readRows,
  type DatasetSchema,
  type DocContext,
  updateRow,
} from "@tessera/shared-crdt";
import type { CanvasRenderer } from "../../src/canvas/renderer.js";
import { TesseraCanvas } from "../../src/canvas/TesseraCanvas.js";
import { tileViews } from "../../src/canvas/scene/layout.js";
import { SceneModel } from "../../src/canvas/scene/SceneModel.js";
import type { CanvasOptions, FrameLookup, VideoFrameInfo } from "../../src/canvas/types.js";
import { ids, PERSON, RECORD } from "../tools/support.js";
import { ManualClock } from "./support.js";

const ME = clientOrigin("me");
const FRAMES = 20;

/** A video dataset as Pixano 0.8 declares one: frames in `sequence_frames`, tracklets, dynamic states. */
function videoSchema(): DatasetSchema {
  const plain = (base: string) => ({ base, fields: {} });
  return datasetSchemaOf(
    parseDatasetInfo({
      id: "vid",
      name: "vid",
      workspace: "video",
      record: plain("Record"),
      entity: {
        base: "Entity",
        name: "Obj",
        fields: { category: { collection: false, type: "str", required: false, default: "" } },
      },
      entity_dynamic_state: plain("EntityDynamicState"),
      bbox: plain("BBox"),
      keypoint: plain("KeyPoints"),
      tracklet: plain("Tracklet"),
      views: { image: plain("SequenceFrame") },
    }),
  );
}

/** Frame `i` of the one view `image`: row id `f<i>`, 10 fps. */
const frameInfo = (i: number): VideoFrameInfo => ({ id: `f${i}`, logicalName: "image", index: i, timestamp: i / 10 });
const LOOKUP: FrameLookup = {
  byId: (id) => (/^f\d+$/.test(id) && Number(id.slice(1)) < FRAMES ? frameInfo(Number(id.slice(1))) : undefined),
  at: (name, i) => (name === "image" && i >= 0 && i < FRAMES ? frameInfo(i) : undefined),
};

class StubRenderer implements CanvasRenderer {
  screenW = 1000;
  screenH = 500;
  readonly images: string[] = [];
  setCursor() {}
  invalidate() {}
  onCamera() {}
  onOverlay() {}
  onPeers() {}
  setAdjustments() {}
  restyleAll() {}
  fps() {
    return 0;
  }
  destroy() {}
  setViewImage(viewId: string, image: ImageBitmap) {
    this.images.push(`${viewId}:${(image as unknown as { name: string }).name}`);
  }
}

function mount() {
  const doc = new Y.Doc();
  const schema = videoSchema();
  const options: CanvasOptions = {
    doc,
    schema,
    recordId: RECORD,
    // The canvas's one view is the first frame of `image` (what the workspace page opens it with).
    views: [{ id: "f0", logicalName: "image", src: "/media/f0.png", width: 1000, height: 500 }],
    awareness: new Awareness(doc),
    origin: ME,
    newId: ids("c"),
    colorOf: () => 0xff0000,
    templates: [PERSON],
    editable: true,
  };
  const scene = new SceneModel(doc, tileViews(options.views));
  const canvas = new TesseraCanvas(options, scene, new ManualClock());
  const renderer = new StubRenderer();
  canvas.attach(renderer);
  canvas.start();
  canvas.setCamera({ x: 0, y: 0, zoom: 1 }, false);
  const ctx: DocContext = { doc, schema, recordId: RECORD, newId: ids("x") };
  const mods = { shift: false, ctrl: false, alt: false };
  const pointer = (type: "down" | "move" | "up", x: number, y: number) =>
    canvas.toolEvent(
      type === "down"
        ? { type, p: canvas.toPoint(x, y), button: 0, ...mods }
        : { type, p: canvas.toPoint(x, y), ...mods },
    );
  const frames = () =>
    canvas.enableFrames({ lookup: LOOKUP, image: (f) => ({ name: f.id, close() {} }) as unknown as ImageBitmap }, 0);
  /** The scene's items: `table/id` with their box x (normalised) and whether interpolated. */
  const shown = () =>
    [...scene.all()]
      .map((i) => ({ id: i.ref.id, x: i.shape.kind === "box" ? +i.shape.x.toFixed(6) : NaN, synthetic: i.synthetic }))
      .sort((a, b) => a.id.localeCompare(b.id));
  return { doc, canvas, scene, renderer, ctx, pointer, frames, shown };
}

const box = (x: number) => ({ coords: [x, 0.2, 0.1, 0.2], format: "xywh", is_normalized: true });
const frameRef = (i: number) => ({ index: i, id: `f${i}`, timestamp: i / 10 });

/** A track with keyframes at frames 0 (x 0.1) and 10 (x 0.6), stored as Pixano's builder stores them. */
function seedTrack(ctx: DocContext) {
  const t = createTrack(ctx, ME, { viewId: "f0", frame: frameRef(0), table: "bboxes", fields: box(0.1) });
  // As Pixano's builder wrote clip1 of the fixture: `view_id` the view's first frame, `frame_id` the frame.
  const k10 = addRow(ctx, ME, "bboxes", {
    ...box(0.6),
    entity_id: t.entityId,
    tracklet_id: t.trackletId,
    frame_index: 10,
    frame_id: "f10",
    view_id: "f0",
  });
  updateRow(ctx, ME, "tracklets", t.trackletId, { end_timestep: 10, end_timestamp: 1 });
  return { ...t, k10 };
}

describe("canvas frame mode (video records)", () => {
  it("shows only the current frame's keyframes, not every frame's boxes on the first frame", () => {
    const m = mount();
    const t = seedTrack(m.ctx);
    // Before frame mode (the image workspace): both keyframes are drawn on the one tile.
    expect(m.shown()).toHaveLength(2);
    m.frames();
    expect(m.shown()).toEqual([{ id: t.annotationId, x: 0.1, synthetic: false }]);
    m.canvas.setFrame(10);
    expect(m.shown()).toEqual([{ id: t.k10, x: 0.6, synthetic: false }]);
    expect(m.canvas.getFrame()).toBe(10);
    expect(m.renderer.images).toEqual(["f0:f0", "f0:f10"]);
  });

  it("shows the interpolated box between keyframes as a synthetic shape, and nothing outside the track", () => {
    const m = mount();
    const t = seedTrack(m.ctx);
    m.frames();
    m.canvas.setFrame(5);
    expect(m.shown()).toEqual([{ id: `~${t.trackletId}`, x: 0.35, synthetic: true }]);
    m.canvas.setFrame(12);
    expect(m.shown()).toEqual([]);
    // A remote edit of a keyframe moves the interpolation on the frame shown.
    m.canvas.setFrame(5);
    addKeyframe(m.ctx, clientOrigin("other"), {
      trackletId: t.trackletId,
      table: "bboxes",
      frameIndex: 10,
      frameId: "f10",
      fields: box(0.9),
    });
    expect(m.shown()).toEqual([{ id: `~${t.trackletId}`, x: 0.5, synthetic: true }]);
  });

  it("drawing on a frame creates entity, tracklet and keyframe with that frame's index and row id (was frame_index -1, no tracklet)", () => {
    const m = mount();
    m.frames();
    m.canvas.setFrame(3);
    m.canvas.setTool("bbox");
    m.pointer("down", 100, 100);
    m.pointer("up", 300, 200);
    const [b] = readRows(m.doc, "bboxes");
    const [t] = readRows(m.doc, "tracklets");
    expect(t).toMatchObject({ view_id: "f0", start_timestep: 3, end_timestep: 3, start_timestamp: 0.3 });
    expect(b).toMatchObject({
      frame_index: 3,
      frame_id: "f3",
      view_id: "f3",
      tracklet_id: t?.id,
      entity_id: t?.entity_id,
    });
    expect(m.canvas.getSelection()).toEqual([{ table: "bboxes", id: b?.id }]);
  });

  it("drawing with a track selected adds a keyframe to that track", () => {
    const m = mount();
    const t = seedTrack(m.ctx);
    m.frames();
    m.canvas.select([{ table: "bboxes", id: t.annotationId }]);
    m.canvas.setFrame(15);
    m.canvas.setTool("bbox");
    m.pointer("down", 500, 100);
    m.pointer("up", 600, 200);
    expect(readRows(m.doc, "entities")).toHaveLength(1);
    expect(readRows(m.doc, "tracklets")).toHaveLength(1);
    // The timestamp follows the timestep (addKeyframe alone left end_timestamp at frame 10's).
    expect(readRow(m.doc, "tracklets", t.trackletId)).toMatchObject({
      start_timestep: 0,
      end_timestep: 15,
      end_timestamp: 1.5,
    });
    const k15 = readRows(m.doc, "bboxes").find((r) => r.frame_index === 15);
    expect(k15).toMatchObject({ tracklet_id: t.trackletId, frame_id: "f15", view_id: "f15" });
  });

  it("moving an interpolated box stores a keyframe on that frame and leaves the others alone", () => {
    const m = mount();
    const t = seedTrack(m.ctx);
    m.frames();
    m.canvas.setFrame(5);
    // The interpolated box is at x 0.35..0.45 of 1000 px, y 0.2..0.4 of 500 px: grab its middle.
    m.pointer("down", 400, 150);
    m.pointer("move", 450, 150);
    m.pointer("up", 500, 150);
    const keys = readRows(m.doc, "bboxes")
      .filter((r) => r.tracklet_id === t.trackletId)
      .map((r) => [Number(r.frame_index), +(r.coords[0] ?? 0).toFixed(6)]);
    expect(keys.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))).toEqual([
      [0, 0.1],
      [5, 0.45],
      [10, 0.6],
    ]);
    expect(m.shown().map((s) => s.synthetic)).toEqual([false]);
    const k5 = readRows(m.doc, "bboxes").find((r) => r.frame_index === 5);
    expect(m.canvas.getSelection()).toEqual([{ table: "bboxes", id: k5?.id }]);
  });

  it("the selection follows its track from frame to frame", () => {
    const m = mount();
    const t = seedTrack(m.ctx);
    m.frames();
    m.canvas.select([{ table: "bboxes", id: t.annotationId }]);
    m.canvas.setFrame(4);
    expect(m.canvas.getSelection()).toEqual([{ table: "bboxes", id: `~${t.trackletId}` }]);
    m.canvas.setFrame(10);
    expect(m.canvas.getSelection()).toEqual([{ table: "bboxes", id: t.k10 }]);
    // Past its end the track shows nothing, but stays the track new shapes join; back inside, it is selected again.
    m.canvas.setFrame(15);
    expect(m.canvas.getSelection()).toEqual([]);
    expect(m.canvas.getTrack()).toBe(t.trackletId);
    m.canvas.setFrame(2);
    expect(m.canvas.getSelection()).toEqual([{ table: "bboxes", id: `~${t.trackletId}` }]);
  });
});

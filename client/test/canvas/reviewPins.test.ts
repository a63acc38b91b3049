import { describe, expect, it } from "vitest";
import type { ReviewThread } from "@tessera/shared-crdt/api";
import {
  layoutPins,
  pinFromGesture,
  viewPointAt,
  type PinInput,
  type PinWorld,
} from "../../src/canvas/render/pinLayout.js";
import { numberedPins } from "../../src/review/pins.js";

/** Two views side by side: "image" 200×100 at x 0, "depth" 100×100 at x 210; camera 2× shifted by (10, 20). */
function world(over: Partial<PinWorld> & { boxes?: Map<string, number[]> } = {}): PinWorld {
  const boxes = over.boxes ?? new Map<string, number[]>();
  return {
    camera: over.camera ?? { x: 10, y: 20, zoom: 2 },
    frame: over.frame ?? -1,
    views: [
      { name: "image", tile: { id: "v1", index: 0, x: 0, y: 0, width: 200, height: 100 } },
      { name: "depth", tile: { id: "v2", index: 1, x: 210, y: 0, width: 100, height: 100 } },
    ],
    objectBounds: (e, a) => boxes.get(a ?? "") ?? boxes.get(e ?? "") ?? null,
  };
}

const input = (threadId: string, pin: PinInput["pin"], resolved = false, number = 1): PinInput => ({
  threadId,
  number,
  pin,
  resolved,
  author: "Rita",
  firstLine: "fix this",
});

describe("review pins: where they go on screen", () => {
  it("puts a point pin at its view point through the camera", () => {
    const [m] = layoutPins([input("t1", { view_name: "image", x: 0.5, y: 0.25 })], world(), { showResolved: false });
    expect(m).toMatchObject({ kind: "point", x: 10 + 100 * 2, y: 20 + 25 * 2, w: 0, h: 0 });
  });

  it("draws a region pin as its rectangle on the named view", () => {
    const [m] = layoutPins([input("t1", { view_name: "depth", x: 0.1, y: 0.2, w: 0.5, h: 0.25 })], world(), {
      showResolved: false,
    });
    expect(m).toMatchObject({ kind: "region", x: 10 + (210 + 10) * 2, y: 20 + 20 * 2, w: 100, h: 50 });
  });

  it("puts an object pin at its box and follows the object when it moves; hides it once deleted", () => {
    const boxes = new Map([["e1", [40, 30, 80, 60]]]);
    const pins = [input("t1", { entity_id: "e1" })];
    expect(layoutPins(pins, world({ boxes }), { showResolved: false })[0]).toMatchObject({ x: 90, y: 80 });
    boxes.set("e1", [100, 10, 120, 20]);
    expect(layoutPins(pins, world({ boxes }), { showResolved: false })[0]).toMatchObject({ x: 210, y: 40 });
    boxes.delete("e1");
    expect(layoutPins(pins, world({ boxes }), { showResolved: false })).toEqual([]);
  });

  it("hides resolved pins unless asked, then keeps them marked resolved (drawn dimmed)", () => {
    const pins = [input("open", { x: 0.1, y: 0.1 }), input("done", { x: 0.2, y: 0.2 }, true, 2)];
    expect(layoutPins(pins, world(), { showResolved: false }).map((m) => m.threadId)).toEqual(["open"]);
    const all = layoutPins(pins, world(), { showResolved: true });
    expect(all.map((m) => [m.threadId, m.resolved])).toEqual([
      ["open", false],
      ["done", true],
    ]);
  });

  it("shows a point pin of a video frame on that frame only; ignores the frame on an image record", () => {
    const pins = [input("t1", { view_name: "image", frame_index: 3, x: 0.5, y: 0.5 })];
    expect(layoutPins(pins, world({ frame: 3 }), { showResolved: false })).toHaveLength(1);
    expect(layoutPins(pins, world({ frame: 4 }), { showResolved: false })).toHaveLength(0);
    expect(layoutPins(pins, world({ frame: -1 }), { showResolved: false })).toHaveLength(1);
  });

  it("does not draw pins on a view the record does not show, nor record-level pins", () => {
    const pins = [input("a", { view_name: "thermal", x: 0.5, y: 0.5 }), input("b", { view_name: "image" })];
    expect(layoutPins(pins, world(), { showResolved: false })).toEqual([]);
  });
});

describe("review pins: made by a click or a drag on the canvas", () => {
  it("a click makes a point pin on the view under it, with the frame on a video", () => {
    const w = world({ frame: 7 });
    // Screen (210, 70) → world (100, 25) → image (0.5, 0.25).
    expect(pinFromGesture(w, "point", { x: 210, y: 70 }, { x: 210, y: 70 })).toEqual({
      view_name: "image",
      frame_index: 7,
      x: 0.5,
      y: 0.25,
    });
    expect(viewPointAt(w, 5, 5)).toBeNull();
    expect(pinFromGesture(w, "point", { x: 5, y: 5 }, { x: 5, y: 5 })).toBeNull();
  });

  it("a drag makes a region clamped to the view it started on; a tiny drag makes none", () => {
    const w = world();
    const pin = pinFromGesture(w, "region", { x: 210, y: 70 }, { x: 50, y: 500 });
    expect(pin).toEqual({ view_name: "image", x: 0.1, y: 0.25, w: 0.4, h: 0.75 });
    expect(pinFromGesture(w, "region", { x: 210, y: 70 }, { x: 212, y: 90 })).toBeNull();
    // What a drawn pin lays out to is where it was drawn.
    const [m] = layoutPins([input("t", pin ?? {})], w, { showResolved: false });
    expect(m).toMatchObject({ x: 50, y: 70, w: 160, h: 150 });
  });
});

describe("review pins: numbered as the panel lists them", () => {
  const thread = (id: string, at: string, pin: ReviewThread["pin"], resolved = false): ReviewThread => ({
    id,
    dataset_id: "d",
    record_id: "r",
    origin: "comment",
    pin,
    author: { id: "u", name: "Rita" },
    created_at: at,
    resolved,
    resolved_by: null,
    resolved_at: null,
    messages: [{ id: "m", author: { id: "u", name: "Rita" }, at, text: "first line\nsecond line" }],
  });

  it("numbers placed pins oldest first, whatever is resolved, skipping unpinned threads", () => {
    const pins = numberedPins([
      thread("late", "2026-01-03T00:00:00Z", { x: 0.1, y: 0.1 }),
      thread("none", "2026-01-01T00:00:00Z", null),
      thread("early", "2026-01-02T00:00:00Z", { entity_id: "e1" }, true),
      thread("view", "2026-01-02T12:00:00Z", { view_name: "image" }),
    ]);
    expect(pins.map((p) => [p.threadId, p.number, p.resolved])).toEqual([
      ["early", 1, true],
      ["late", 2, false],
    ]);
    expect(pins[0]).toMatchObject({ author: "Rita", firstLine: "first line" });
  });
});

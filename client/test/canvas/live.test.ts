import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { AwarenessWriter } from "../../src/canvas/live/AwarenessWriter.js";
import { cursorAlpha, PeerTracker } from "../../src/canvas/live/peers.js";
import { Throttle } from "../../src/canvas/clock.js";
import { ManualClock } from "./support.js";

describe("throttle", () => {
  it("runs at once, coalesces calls within the interval into one trailing run, flushes on demand", () => {
    const clock = new ManualClock();
    let runs = 0;
    const t = new Throttle(clock, 50, () => runs++);
    t.request();
    t.request();
    t.request();
    expect(runs).toBe(1);
    clock.advance(49);
    expect(runs).toBe(1);
    clock.advance(1);
    expect(runs).toBe(2);
    t.request();
    expect(runs).toBe(2);
    t.flush();
    expect(runs).toBe(3);
    expect(clock.pending).toBe(0);
  });
});

describe("local awareness", () => {
  it("cursor writes are throttled to ~20 Hz; selection, tool and dragging are written at once", () => {
    const clock = new ManualClock();
    const a = new Awareness(new Y.Doc());
    let updates = 0;
    a.on("change", () => updates++);
    const w = new AwarenessWriter(a, clock);
    for (let i = 0; i < 10; i++) w.cursor({ viewId: "v", x: i / 10, y: 0 });
    expect(a.getLocalState()?.cursor).toEqual({ viewId: "v", x: 0, y: 0 });
    clock.advance(50);
    expect(a.getLocalState()?.cursor).toEqual({ viewId: "v", x: 0.9, y: 0 });
    const before = updates;
    w.selection([{ table: "bboxes", id: "b1" }]);
    w.tool("polygon");
    w.dragging({ table: "bboxes", id: "b1" });
    expect(a.getLocalState()).toMatchObject({
      selection: [{ table: "bboxes", id: "b1" }],
      tool: "polygon",
      dragging: { table: "bboxes", id: "b1" },
    });
    expect(updates - before).toBe(3);
    w.cursor(null);
    expect(a.getLocalState()?.cursor).toBeNull();
    w.destroy();
    a.destroy();
  });
});

describe("remote peers", () => {
  it("reads other people on this record, skips self and other records, and times cursor idleness", () => {
    const mine = new Awareness(new Y.Doc());
    const alice = new Awareness(new Y.Doc());
    const bob = new Awareness(new Y.Doc());
    alice.setLocalState({
      user: { id: "a", name: "Alice", color: "#ff0000", role: "annotator" },
      recordId: "r1",
      cursor: { viewId: "v", x: 0.1, y: 0.2 },
      selection: [{ table: "bboxes", id: "b1" }],
      dragging: null,
    });
    bob.setLocalState({
      user: { id: "b", name: "Bob", color: "#00ff00", role: "annotator" },
      recordId: "r2",
      cursor: { viewId: "v", x: 0.5, y: 0.5 },
    });
    const states = new Map<number, unknown>([
      [mine.clientID, { user: { name: "me" }, recordId: "r1" }],
      [alice.clientID, alice.getLocalState()],
      [bob.clientID, bob.getLocalState()],
    ]);
    const t = new PeerTracker(mine.clientID, "r1");
    expect(t.update(states, 1000)).toBe(true);
    const peers = [...t.list()];
    expect(peers.map((p) => p.name)).toEqual(["Alice"]);
    expect(peers[0]).toMatchObject({
      color: 0xff0000,
      cursor: { viewId: "v", x: 0.1, y: 0.2 },
      selection: [{ table: "bboxes", id: "b1" }],
      movedAt: 1000,
    });
    // Same state later: nothing changed, and the cursor keeps its old move time.
    expect(t.update(states, 5000)).toBe(false);
    expect([...t.list()][0]?.movedAt).toBe(1000);
    alice.setLocalStateField("cursor", { viewId: "v", x: 0.3, y: 0.2 });
    states.set(alice.clientID, alice.getLocalState());
    expect(t.update(states, 6000)).toBe(true);
    expect([...t.list()][0]?.movedAt).toBe(6000);
    states.delete(alice.clientID);
    expect(t.update(states, 7000)).toBe(true);
    expect(t.size).toBe(0);
  });

  it("idle cursors stay opaque for a few seconds, then fade out", () => {
    expect(cursorAlpha(0, 3000, 1500)).toBe(1);
    expect(cursorAlpha(3000, 3000, 1500)).toBe(1);
    expect(cursorAlpha(3750, 3000, 1500)).toBeCloseTo(0.5);
    expect(cursorAlpha(9000, 3000, 1500)).toBe(0);
  });
});

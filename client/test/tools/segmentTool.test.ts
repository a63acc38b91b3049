import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import { segmentTool } from "../../src/tools/segmentTool.js";
import { at, down, key, move, ofType, run, up, world } from "./support.js";

/** The segment tool as event sequences: what it asks the server for (view pixels), and when a draft ends. */
describe("segment tool", () => {
  it("a click asks for a mask from one positive point in view pixels; an Alt+click adds a negative one", () => {
    const w = world();
    const r = run(segmentTool, w, [
      down(at(w, 0.25, 0.5)),
      up(at(w, 0.25, 0.5)),
      down(at(w, 0.5, 0.5), { alt: true }),
      up(at(w, 0.5, 0.5), { alt: true }),
    ]);
    const asks = ofType(r.effects, "segment");
    expect(asks).toHaveLength(2);
    expect(asks[0]).toMatchObject({ viewId: "v1", points: [[250, 250]], labels: [1], box: null });
    expect(asks[1]).toMatchObject({
      points: [
        [250, 250],
        [500, 250],
      ],
      labels: [1, 0],
    });
  });

  it("a drag sets the box (previewed while dragging); a negative point alone asks for nothing", () => {
    const w = world();
    const lone = run(segmentTool, w, [down(at(w, 0.5, 0.5), { alt: true }), up(at(w, 0.5, 0.5), { alt: true })]);
    expect(ofType(lone.effects, "segment")).toHaveLength(0);
    expect(ofType(lone.effects, "refuse")).toHaveLength(1);
    const r = run(segmentTool, w, [down(at(w, 0.1, 0.2)), move(at(w, 0.3, 0.6)), up(at(w, 0.3, 0.6))]);
    expect(ofType(r.effects, "preview")[0]?.shape).toMatchObject({ kind: "box" });
    expect(ofType(r.effects, "segment")[0]).toMatchObject({ points: [], labels: [], box: [100, 100, 300, 300] });
  });

  it("Enter accepts the draft, Esc discards it; both end the prompt; keys with no prompt are not consumed", () => {
    const w = world();
    const clicked = run(segmentTool, w, [down(at(w, 0.5, 0.5)), up(at(w, 0.5, 0.5))]);
    const accept = run(segmentTool, w, [key("Enter")], clicked.state);
    expect(ofType(accept.effects, "segmentDone")).toEqual([{ type: "segmentDone", decision: "accept" }]);
    expect(accept.handled).toBe(true);
    expect(accept.state).toEqual({ phase: "idle" });
    const discard = run(segmentTool, w, [key("Escape")], clicked.state);
    expect(ofType(discard.effects, "segmentDone")).toEqual([{ type: "segmentDone", decision: "discard" }]);
    const idle = run(segmentTool, w, [key("Enter")]);
    expect(idle.handled).toBe(false);
    expect(idle.effects).toEqual([]);
  });

  it("a read-only canvas refuses the click", () => {
    const w = world();
    w.editable = false;
    const r = run(segmentTool, w, [down(at(w, 0.5, 0.5)), up(at(w, 0.5, 0.5))]);
    expect(ofType(r.effects, "refuse")[0]?.reason).toBe("read-only");
    expect(ofType(r.effects, "segment")).toHaveLength(0);
  });
});

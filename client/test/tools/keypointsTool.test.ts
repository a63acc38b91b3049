import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import { keypointsTool, nextKeypointState, CLICK_PLACE_PX } from "../../src/tools/keypointsTool.js";
import { at, down, key, move, ofType, PERSON, run, up, world } from "./support.js";

describe("keypoints tool", () => {
  it("dragging a box places the template's layout in it, every point visible", () => {
    const w = world();
    w.template = PERSON;
    const r = run(keypointsTool, w, [down(at(w, 0.2, 0.2)), move(at(w, 0.3, 0.3)), up(at(w, 0.4, 0.6))]);
    const [c] = ofType(r.effects, "create");
    expect(c?.table).toBe("keypoints");
    expect(c?.row).toMatchObject({
      view_id: "v1",
      template_id: "tri",
      states: ["visible", "visible", "visible"],
      source_type: "human",
    });
    expect((c?.row.coords as number[]).map((v) => +v.toFixed(6))).toEqual([0.3, 0.2, 0.2, 0.6, 0.4, 0.6]);
    expect(ofType(r.effects, "preview")[1]?.shape).toMatchObject({ kind: "keypoints", templateId: "tri" });
    expect(ofType(r.effects, "switchTool")[0]?.tool).toBe("select");
  });

  it("a plain click places the template at a default size around the pointer", () => {
    const w = world();
    w.template = PERSON;
    const r = run(keypointsTool, w, [down(at(w, 0.5, 0.5)), up(at(w, 0.5, 0.5))]);
    const coords = ofType(r.effects, "create")[0]?.row.coords as number[];
    // Width CLICK_PLACE_PX screen px = image px at zoom 1 on a 1000 px wide view.
    expect(((coords[4] as number) - (coords[2] as number)) * 1000).toBeCloseTo(CLICK_PLACE_PX);
    expect(coords[0]).toBeCloseTo(0.5);
  });

  it("is refused without a template", () => {
    const w = world();
    const r = run(keypointsTool, w, [down(at(w, 0.2, 0.2)), up(at(w, 0.4, 0.4))]);
    expect(ofType(r.effects, "refuse")[0]?.reason).toBe("no keypoint template");
    expect(ofType(r.effects, "create")).toHaveLength(0);
  });

  it("Esc cancels the placement", () => {
    const w = world();
    w.template = PERSON;
    const r = run(keypointsTool, w, [down(at(w, 0.2, 0.2)), move(at(w, 0.3, 0.3)), key("Escape"), up(at(w, 0.4, 0.4))]);
    expect(ofType(r.effects, "create")).toHaveLength(0);
    expect(r.state).toEqual({ phase: "idle" });
  });

  it("point states cycle visible → invisible → hidden → visible", () => {
    expect(nextKeypointState("visible")).toBe("invisible");
    expect(nextKeypointState("invisible")).toBe("hidden");
    expect(nextKeypointState("hidden")).toBe("visible");
    expect(nextKeypointState(undefined)).toBe("visible");
  });
});

import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import { bboxTool } from "../../src/tools/bboxTool.js";
import { at, down, key, move, ofType, run, up, world } from "./support.js";

describe("bbox tool", () => {
  it("click-drag creates a normalised xywh box with confidence 1 and source_type human, then returns to select", () => {
    const w = world();
    const r = run(bboxTool, w, [down(at(w, 0.1, 0.1)), move(at(w, 0.2, 0.3)), up(at(w, 0.3, 0.4))]);
    const [create] = ofType(r.effects, "create");
    expect(create?.table).toBe("bboxes");
    expect(create?.row).toMatchObject({
      view_id: "v1",
      format: "xywh",
      is_normalized: true,
      confidence: 1,
      source_type: "human",
    });
    const coords = create?.row.coords as number[];
    expect(coords[0]).toBeCloseTo(0.1);
    expect(coords[1]).toBeCloseTo(0.1);
    expect(coords[2]).toBeCloseTo(0.2);
    expect(coords[3]).toBeCloseTo(0.3);
    expect(ofType(r.effects, "switchTool")).toEqual([{ type: "switchTool", tool: "select" }]);
    expect(r.state).toEqual({ phase: "idle" });
    expect(r.effects.at(0)).toMatchObject({ type: "preview", shape: { kind: "box" } });
  });

  it("dragging up-left from the anchor gives the same box as dragging down-right", () => {
    const w = world();
    const r = run(bboxTool, w, [down(at(w, 0.3, 0.4)), up(at(w, 0.1, 0.1))]);
    const coords = ofType(r.effects, "create")[0]?.row.coords as number[];
    expect(coords.map((c) => +c.toFixed(6))).toEqual([0.1, 0.1, 0.2, 0.3]);
  });

  it("Shift constrains to a square in image pixels (1000×500 view)", () => {
    const w = world();
    const r = run(bboxTool, w, [down(at(w, 0.1, 0.1)), up(at(w, 0.3, 0.2), { shift: true })]);
    const [x, y, bw, bh] = ofType(r.effects, "create")[0]?.row.coords as number[];
    expect([x, y]).toEqual([0.1, 0.1]);
    expect((bw as number) * 1000).toBeCloseTo(200);
    expect((bh as number) * 500).toBeCloseTo(200);
  });

  it("pressing Shift mid-drag re-previews a square", () => {
    const w = world();
    const r = run(bboxTool, w, [down(at(w, 0.1, 0.1)), move(at(w, 0.3, 0.2)), key("Shift")]);
    const last = ofType(r.effects, "preview").at(-1)?.shape;
    expect(last?.kind).toBe("box");
    if (last?.kind === "box") expect(last.w * 1000).toBeCloseTo(last.h * 500);
    expect(r.handled).toBe(true);
  });

  it("Esc cancels the box being drawn; the release then creates nothing", () => {
    const w = world();
    const r = run(bboxTool, w, [down(at(w, 0.1, 0.1)), move(at(w, 0.4, 0.4)), key("Escape"), up(at(w, 0.4, 0.4))]);
    expect(ofType(r.effects, "create")).toHaveLength(0);
    expect(ofType(r.effects, "preview").at(-1)).toEqual({ type: "preview", shape: null });
    expect(r.state).toEqual({ phase: "idle" });
  });

  it("refuses tiny boxes (an accidental click)", () => {
    const w = world();
    const r = run(bboxTool, w, [down(at(w, 0.1, 0.1)), up(at(w, 0.102, 0.104))]);
    expect(ofType(r.effects, "create")).toHaveLength(0);
    expect(ofType(r.effects, "refuse")).toEqual([{ type: "refuse", reason: "box too small" }]);
  });

  it("clamps a drag beyond the image to the view", () => {
    const w = world();
    const r = run(bboxTool, w, [down(at(w, 0.8, 0.8)), up(at(w, 1.4, 1.3))]);
    const [x, y, bw, bh] = ofType(r.effects, "create")[0]?.row.coords as number[];
    expect((x as number) + (bw as number)).toBeCloseTo(1);
    expect((y as number) + (bh as number)).toBeCloseTo(1);
  });

  it("refuses to draw on a read-only canvas", () => {
    const w = world();
    w.editable = false;
    const r = run(bboxTool, w, [down(at(w, 0.1, 0.1)), up(at(w, 0.5, 0.5))]);
    expect(ofType(r.effects, "create")).toHaveLength(0);
    expect(ofType(r.effects, "refuse")[0]?.reason).toBe("read-only");
  });

  it("keys it does not use while idle are left to the workspace", () => {
    const w = world();
    expect(run(bboxTool, w, [key("Escape")]).handled).toBe(false);
    expect(run(bboxTool, w, [key("n")]).handled).toBe(false);
  });
});

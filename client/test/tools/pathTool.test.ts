import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import { polygonTool, polylineTool } from "../../src/tools/pathTool.js";
import { at, down, key, move, ofType, run, world } from "./support.js";

const round = (xs: readonly number[]) => xs.map((x) => +x.toFixed(6));

describe("polygon tool", () => {
  it("one click per vertex; clicking the first point closes and creates a closed multi_path", () => {
    const w = world();
    const r = run(polygonTool, w, [
      down(at(w, 0.1, 0.1)),
      down(at(w, 0.5, 0.1)),
      down(at(w, 0.5, 0.5)),
      down(at(w, 0.1005, 0.1005)),
    ]);
    const [c] = ofType(r.effects, "create");
    expect(c?.table).toBe("multi_paths");
    expect(c?.row).toMatchObject({ view_id: "v1", num_points: [3], is_closed: true, source_type: "human" });
    expect(round(c?.row.coords as number[])).toEqual([0.1, 0.1, 0.5, 0.1, 0.5, 0.5]);
    expect(ofType(r.effects, "switchTool")[0]?.tool).toBe("select");
    expect(r.state).toEqual({ phase: "idle" });
  });

  it("Enter closes the ring once it has 3 points", () => {
    const w = world();
    const r = run(polygonTool, w, [down(at(w, 0.1, 0.1)), down(at(w, 0.5, 0.1)), down(at(w, 0.5, 0.5)), key("Enter")]);
    expect(ofType(r.effects, "create")[0]?.row.num_points).toEqual([3]);
    expect(r.handled).toBe(true);
  });

  it("Enter with two points is refused and keeps drawing", () => {
    const w = world();
    const r = run(polygonTool, w, [down(at(w, 0.1, 0.1)), down(at(w, 0.5, 0.1)), key("Enter")]);
    expect(ofType(r.effects, "create")).toHaveLength(0);
    expect(ofType(r.effects, "refuse")[0]?.reason).toMatch(/3 points/);
    expect(r.state).toMatchObject({ phase: "drawing", current: [0.1, 0.1, 0.5, 0.1] });
  });

  it("refuses a ring without area (collinear points)", () => {
    const w = world();
    const r = run(polygonTool, w, [down(at(w, 0.1, 0.1)), down(at(w, 0.2, 0.1)), down(at(w, 0.3, 0.1)), key("Enter")]);
    expect(ofType(r.effects, "create")).toHaveLength(0);
    expect(ofType(r.effects, "refuse")[0]?.reason).toMatch(/no area/);
  });

  it("Backspace removes the last point; removing every point ends the drawing", () => {
    const w = world();
    const r = run(polygonTool, w, [down(at(w, 0.1, 0.1)), down(at(w, 0.5, 0.1)), key("Backspace")]);
    expect(r.state).toMatchObject({ phase: "drawing", current: [0.1, 0.1] });
    const r2 = run(polygonTool, w, [key("Backspace")], r.state);
    expect(r2.state).toEqual({ phase: "idle" });
    expect(r2.handled).toBe(true);
  });

  it("N finishes a ring and starts another ring of the same multi-polygon (num_points per ring)", () => {
    const w = world();
    const r = run(polygonTool, w, [
      down(at(w, 0.1, 0.1)),
      down(at(w, 0.3, 0.1)),
      down(at(w, 0.3, 0.3)),
      key("n"),
      down(at(w, 0.6, 0.6)),
      down(at(w, 0.8, 0.6)),
      down(at(w, 0.8, 0.8)),
      down(at(w, 0.6, 0.8)),
      key("Enter"),
    ]);
    const [c] = ofType(r.effects, "create");
    expect(c?.row.num_points).toEqual([3, 4]);
    expect(round(c?.row.coords as number[])).toEqual([
      0.1, 0.1, 0.3, 0.1, 0.3, 0.3, 0.6, 0.6, 0.8, 0.6, 0.8, 0.8, 0.6, 0.8,
    ]);
  });

  it("N with a ring too short is refused; Enter right after N commits the finished rings", () => {
    const w = world();
    const r = run(polygonTool, w, [down(at(w, 0.1, 0.1)), down(at(w, 0.3, 0.1)), key("N")]);
    expect(ofType(r.effects, "refuse")).toHaveLength(1);
    const r2 = run(polygonTool, w, [down(at(w, 0.3, 0.3)), key("N"), key("Enter")], r.state);
    expect(ofType(r2.effects, "create")[0]?.row.num_points).toEqual([3]);
  });

  it("Backspace on an empty ring reopens the previous ring", () => {
    const w = world();
    const r = run(polygonTool, w, [
      down(at(w, 0.1, 0.1)),
      down(at(w, 0.3, 0.1)),
      down(at(w, 0.3, 0.3)),
      key("n"),
      key("Backspace"),
    ]);
    expect(r.state).toMatchObject({ phase: "drawing", rings: [], current: [0.1, 0.1, 0.3, 0.1, 0.3, 0.3] });
  });

  it("Esc cancels the polygon; the pointer preview follows moves", () => {
    const w = world();
    const r = run(polygonTool, w, [down(at(w, 0.1, 0.1)), move(at(w, 0.4, 0.2)), key("Escape")]);
    const previews = ofType(r.effects, "preview");
    expect(previews[1]?.shape).toMatchObject({ kind: "draft", pointer: [0.4, 0.2], closed: true });
    expect(previews.at(-1)?.shape).toBeNull();
    expect(r.state).toEqual({ phase: "idle" });
    expect(ofType(r.effects, "create")).toHaveLength(0);
  });

  it("vertices clicked in another view are projected into the view the polygon started in and clamped", () => {
    const w = world();
    const r = run(polygonTool, w, [
      down(at(w, 0.1, 0.1)),
      down(at(w, 0.9, 0.2)),
      down(at(w, 0.5, 0.5, "v2")),
      key("Enter"),
    ]);
    const coords = ofType(r.effects, "create")[0]?.row.coords as number[];
    expect(ofType(r.effects, "create")[0]?.row.view_id).toBe("v1");
    expect(coords[4]).toBe(1);
  });

  it("leaves keys to the workspace when not drawing (N repeats the last tool there)", () => {
    const w = world();
    expect(run(polygonTool, w, [key("n")]).handled).toBe(false);
    expect(run(polygonTool, w, [key("Enter")]).handled).toBe(false);
  });
});

describe("polyline tool", () => {
  it("Enter ends an open path of at least 2 points", () => {
    const w = world();
    const r = run(polylineTool, w, [down(at(w, 0.1, 0.1)), down(at(w, 0.5, 0.2)), key("Enter")]);
    const [c] = ofType(r.effects, "create");
    expect(c?.row).toMatchObject({ num_points: [2], is_closed: false });
  });

  it("a second click on the last point ends the polyline", () => {
    const w = world();
    const r = run(polylineTool, w, [
      down(at(w, 0.1, 0.1)),
      down(at(w, 0.5, 0.2)),
      down(at(w, 0.7, 0.2)),
      down(at(w, 0.7, 0.2)),
    ]);
    expect(ofType(r.effects, "create")[0]?.row.num_points).toEqual([3]);
  });

  it("clicking the first point of a polyline adds it (open paths do not close)", () => {
    const w = world();
    const r = run(polylineTool, w, [
      down(at(w, 0.1, 0.1)),
      down(at(w, 0.5, 0.2)),
      down(at(w, 0.5, 0.5)),
      down(at(w, 0.1, 0.1)),
      key("Enter"),
    ]);
    expect(ofType(r.effects, "create")[0]?.row.num_points).toEqual([4]);
  });

  it("a single point is refused", () => {
    const w = world();
    const r = run(polylineTool, w, [down(at(w, 0.1, 0.1)), key("Enter")]);
    expect(ofType(r.effects, "refuse")[0]?.reason).toMatch(/2 points/);
  });

  it("N starts another path of the same row", () => {
    const w = world();
    const r = run(polylineTool, w, [
      down(at(w, 0.1, 0.1)),
      down(at(w, 0.2, 0.1)),
      key("n"),
      down(at(w, 0.5, 0.5)),
      down(at(w, 0.6, 0.6)),
      key("Enter"),
    ]);
    expect(ofType(r.effects, "create")[0]?.row).toMatchObject({ num_points: [2, 2], is_closed: false });
  });
});

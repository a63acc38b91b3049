import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import { selectTool } from "../../src/tools/selectTool.js";
import { boxRowFields } from "../../src/tools/shapes.js";
import { at, down, key, move, ofType, PERSON, run, seed, up, world } from "./support.js";

function withBox() {
  const w = world();
  const box = seed(w, "bboxes", boxRowFields("v1", 0.2, 0.2, 0.2, 0.2));
  return { w, box: box.ref, entityId: box.entityId };
}

describe("select tool", () => {
  it("hovering a shape highlights it with a move cursor; hovering the same shape again emits nothing", () => {
    const { w, box } = withBox();
    const r = run(selectTool, w, [move(at(w, 0.3, 0.3))]);
    expect(ofType(r.effects, "hover")[0]?.hit?.ref).toEqual(box);
    expect(ofType(r.effects, "setCursor")[0]?.cursor).toBe("move");
    expect(run(selectTool, w, [move(at(w, 0.31, 0.3))], r.state).effects).toEqual([]);
    const out = run(selectTool, w, [move(at(w, 0.8, 0.8))], r.state);
    expect(ofType(out.effects, "hover")[0]?.hit).toBeNull();
  });

  it("click selects; Shift-click adds and toggles; a click on empty space clears", () => {
    const { w, box } = withBox();
    const other = seed(w, "bboxes", boxRowFields("v1", 0.6, 0.6, 0.1, 0.1)).ref;
    let r = run(selectTool, w, [down(at(w, 0.3, 0.3)), up(at(w, 0.3, 0.3))]);
    expect(ofType(r.effects, "select")[0]?.refs).toEqual([box]);
    w.selection = [box];
    r = run(selectTool, w, [down(at(w, 0.65, 0.65), { shift: true }), up(at(w, 0.65, 0.65), { shift: true })]);
    expect(ofType(r.effects, "select")[0]?.refs).toEqual([box, other]);
    w.selection = [box, other];
    r = run(selectTool, w, [down(at(w, 0.3, 0.3), { shift: true }), up(at(w, 0.3, 0.3), { shift: true })]);
    expect(ofType(r.effects, "select")[0]?.refs).toEqual([other]);
    r = run(selectTool, w, [down(at(w, 0.9, 0.1)), up(at(w, 0.9, 0.1))]);
    expect(ofType(r.effects, "select")[0]?.refs).toEqual([]);
  });

  it("the smaller of two overlapping shapes is picked", () => {
    const w = world();
    seed(w, "bboxes", boxRowFields("v1", 0.1, 0.1, 0.8, 0.8));
    const inner = seed(w, "bboxes", boxRowFields("v1", 0.4, 0.4, 0.1, 0.1)).ref;
    const r = run(selectTool, w, [down(at(w, 0.45, 0.45)), up(at(w, 0.45, 0.45))]);
    expect(ofType(r.effects, "select")[0]?.refs).toEqual([inner]);
  });

  it("dragging a shape selects and moves it live, framed by awareness dragging start/end", () => {
    const { w, box } = withBox();
    const r = run(selectTool, w, [
      down(at(w, 0.3, 0.3)),
      move(at(w, 0.35, 0.3)),
      move(at(w, 0.4, 0.4)),
      up(at(w, 0.4, 0.4)),
    ]);
    expect(ofType(r.effects, "select")[0]?.refs).toEqual([box]);
    const aw = ofType(r.effects, "awareness");
    expect(aw.map((a) => a.dragging)).toEqual([box, null]);
    const updates = ofType(r.effects, "update");
    expect(updates.length).toBeGreaterThanOrEqual(2);
    const last = updates.at(-1)?.patch.coords as number[];
    expect(last.map((c) => +c.toFixed(6))).toEqual([0.3, 0.3, 0.2, 0.2]);
    expect(updates.at(-1)?.patch).toMatchObject({ format: "xywh", is_normalized: true });
    expect(r.state).toEqual({ phase: "idle", hover: null });
  });

  it("a move stops at the view's edge", () => {
    const { w } = withBox();
    const r = run(selectTool, w, [down(at(w, 0.3, 0.3)), move(at(w, 0.95, 0.3)), up(at(w, 0.95, 0.3))]);
    const c = ofType(r.effects, "update").at(-1)?.patch.coords as number[];
    expect((c[0] as number) + (c[2] as number)).toBeCloseTo(1);
  });

  it("moving several selected shapes moves them together", () => {
    const { w, box } = withBox();
    const other = seed(w, "bboxes", boxRowFields("v1", 0.6, 0.6, 0.1, 0.1)).ref;
    w.selection = [box, other];
    const r = run(selectTool, w, [down(at(w, 0.3, 0.3)), move(at(w, 0.4, 0.3)), up(at(w, 0.4, 0.3))]);
    const ids = new Set(ofType(r.effects, "update").map((u) => u.id));
    expect(ids).toEqual(new Set([box.id, other.id]));
  });

  it("dragging the south-east handle of a selected box resizes it; Shift keeps it square", () => {
    const { w, box } = withBox();
    w.selection = [box];
    const hover = run(selectTool, w, [move(at(w, 0.4, 0.4))]);
    expect(ofType(hover.effects, "setCursor")[0]?.cursor).toBe("se-resize");
    let r = run(selectTool, w, [down(at(w, 0.4, 0.4)), move(at(w, 0.5, 0.45)), up(at(w, 0.5, 0.45))]);
    let c = ofType(r.effects, "update").at(-1)?.patch.coords as number[];
    expect(c.map((v) => +v.toFixed(6))).toEqual([0.2, 0.2, 0.3, 0.25]);
    r = run(selectTool, w, [
      down(at(w, 0.4, 0.4)),
      move(at(w, 0.5, 0.45), { shift: true }),
      up(at(w, 0.5, 0.45), { shift: true }),
    ]);
    c = ofType(r.effects, "update").at(-1)?.patch.coords as number[];
    expect((c[2] as number) * 1000).toBeCloseTo((c[3] as number) * 500);
  });

  it("dragging the west edge handle past the east edge flips the box", () => {
    const { w, box } = withBox();
    w.selection = [box];
    const r = run(selectTool, w, [down(at(w, 0.2, 0.3)), move(at(w, 0.5, 0.3)), up(at(w, 0.5, 0.3))]);
    const c = ofType(r.effects, "update").at(-1)?.patch.coords as number[];
    expect(c.map((v) => +v.toFixed(6))).toEqual([0.4, 0.2, 0.1, 0.2]);
  });

  it("dragging a vertex of a selected polygon moves that vertex (moveVertex)", () => {
    const w = world();
    const poly = seed(w, "multi_paths", {
      view_id: "v1",
      coords: [0.1, 0.1, 0.5, 0.1, 0.3, 0.5],
      num_points: [3],
      is_closed: true,
    }).ref;
    w.selection = [poly];
    const r = run(selectTool, w, [down(at(w, 0.5, 0.1)), move(at(w, 0.6, 0.2)), up(at(w, 0.6, 0.2))]);
    const mv = ofType(r.effects, "moveVertex");
    expect(mv.at(-1)).toMatchObject({ table: "multi_paths", id: poly.id, index: 1 });
    expect(mv.at(-1)?.x).toBeCloseTo(0.6);
    expect(mv.at(-1)?.y).toBeCloseTo(0.2);
  });

  it("a click on a point of selected keypoints cycles its state", () => {
    const w = world();
    const kp = seed(w, "keypoints", {
      view_id: "v1",
      template_id: PERSON.id,
      coords: [0.3, 0.2, 0.2, 0.6, 0.4, 0.6],
      states: ["visible", "visible", "visible"],
    }).ref;
    w.selection = [kp];
    const r = run(selectTool, w, [down(at(w, 0.2, 0.6)), up(at(w, 0.2, 0.6))]);
    expect(ofType(r.effects, "update")[0]?.patch).toEqual({ states: ["visible", "invisible", "visible"] });
    expect(ofType(r.effects, "select")).toHaveLength(0);
  });

  it("Delete removes the selection (locked shapes are kept and reported)", () => {
    const { w, box, entityId } = withBox();
    const other = seed(w, "bboxes", boxRowFields("v1", 0.6, 0.6, 0.1, 0.1)).ref;
    w.selection = [box, other];
    w.scene.setLocked(new Set([entityId]));
    const r = run(selectTool, w, [key("Delete")]);
    expect(ofType(r.effects, "delete")[0]?.refs).toEqual([other]);
    expect(ofType(r.effects, "select")[0]?.refs).toEqual([box]);
    expect(r.handled).toBe(true);
    w.selection = [box];
    const r2 = run(selectTool, w, [key("Backspace")]);
    expect(ofType(r2.effects, "delete")).toHaveLength(0);
    expect(ofType(r2.effects, "refuse")[0]?.reason).toBe("locked");
    w.selection = [];
    expect(run(selectTool, w, [key("Delete")]).handled).toBe(false);
  });

  it("a locked shape can be selected but a drag on it is refused", () => {
    const { w, box, entityId } = withBox();
    w.scene.setLocked(new Set([entityId]));
    const r = run(selectTool, w, [down(at(w, 0.3, 0.3)), move(at(w, 0.4, 0.4)), up(at(w, 0.4, 0.4))]);
    expect(ofType(r.effects, "select")[0]?.refs).toEqual([box]);
    expect(ofType(r.effects, "update")).toHaveLength(0);
    expect(ofType(r.effects, "refuse")[0]?.reason).toBe("locked");
  });

  it("read-only: shapes select but never move", () => {
    const { w } = withBox();
    w.editable = false;
    const r = run(selectTool, w, [down(at(w, 0.3, 0.3)), move(at(w, 0.4, 0.4)), up(at(w, 0.4, 0.4))]);
    expect(ofType(r.effects, "update")).toHaveLength(0);
    expect(ofType(r.effects, "refuse")[0]?.reason).toBe("read-only");
  });

  it("Esc during a drag restores the original geometry and ends the drag", () => {
    const { w, box } = withBox();
    const r = run(selectTool, w, [down(at(w, 0.3, 0.3)), move(at(w, 0.5, 0.5)), key("Escape")]);
    const last = ofType(r.effects, "update").at(-1);
    expect(last?.id).toBe(box.id);
    expect((last?.patch.coords as number[]).map((v) => +v.toFixed(6))).toEqual([0.2, 0.2, 0.2, 0.2]);
    expect(ofType(r.effects, "awareness").at(-1)?.dragging).toBeNull();
    expect(r.handled).toBe(true);
    // Esc outside a drag is the workspace's (stop following, clear selection).
    expect(run(selectTool, w, [key("Escape")]).handled).toBe(false);
  });

  it("dragging empty space pans by the pointer's screen delta", () => {
    const { w } = withBox();
    const r = run(selectTool, w, [
      down(at(w, 0.8, 0.8)),
      move(at(w, 0.81, 0.8)),
      move(at(w, 0.83, 0.82)),
      up(at(w, 0.83, 0.82)),
    ]);
    const pans = ofType(r.effects, "pan");
    expect(pans.reduce((s, p) => s + p.dx, 0)).toBeCloseTo(30);
    expect(pans.reduce((s, p) => s + p.dy, 0)).toBeCloseTo(10);
    expect(ofType(r.effects, "update")).toHaveLength(0);
  });

  it("small jitter under the drag threshold is still a click", () => {
    const { w, box } = withBox();
    const r = run(selectTool, w, [down(at(w, 0.3, 0.3)), move(at(w, 0.301, 0.3)), up(at(w, 0.301, 0.3))]);
    expect(ofType(r.effects, "update")).toHaveLength(0);
    expect(ofType(r.effects, "select")[0]?.refs).toEqual([box]);
  });

  it("hidden entities cannot be picked", () => {
    const { w, entityId } = withBox();
    w.scene.setHidden(new Set([entityId]));
    const r = run(selectTool, w, [down(at(w, 0.3, 0.3)), up(at(w, 0.3, 0.3))]);
    expect(ofType(r.effects, "select")[0]?.refs).toEqual([]);
  });
});

import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import { decodeMask, encodeMask, rleArea } from "@tessera/shared-crdt";
import { brushTool, MIN_BRUSH_RADIUS } from "../../src/tools/brushTool.js";
import { paintStroke, strokeMask } from "../../src/tools/maskRaster.js";
import { at, down, key, move, ofType, run, seed, up, world } from "./support.js";

const brush = brushTool("brush");
const eraser = brushTool("eraser");

describe("mask rasteriser", () => {
  it("a single stamp paints a disc of the radius", () => {
    const m = new Uint8Array(100 * 100);
    const n = paintStroke(m, 100, 100, [50, 50], 10);
    expect(n).toBeGreaterThan(Math.PI * 9.5 * 9.5);
    expect(n).toBeLessThan(Math.PI * 10.5 * 10.5);
    expect(m[50 * 100 + 50]).toBe(1);
    expect(m[50 * 100 + 62]).toBe(0);
  });

  it("a segment paints a capsule (no gaps between stamps)", () => {
    const { mask, painted } = strokeMask(200, 100, [0.1, 0.5, 0.9, 0.5], 5);
    for (let x = 20; x <= 180; x++) expect(mask[50 * 200 + x]).toBe(1);
    expect(painted).toBeGreaterThan(160 * 9);
  });
});

describe("brush tool", () => {
  it("a stroke with nothing selected creates a COCO RLE mask at image resolution", () => {
    const w = world();
    w.brushRadius = 8;
    const r = run(brush, w, [down(at(w, 0.1, 0.5)), move(at(w, 0.2, 0.5)), move(at(w, 0.3, 0.5)), up(at(w, 0.3, 0.5))]);
    const [c] = ofType(r.effects, "create");
    expect(c?.table).toBe("masks");
    expect(c?.row.size).toEqual([500, 1000]);
    const bits = decodeMask({ size: c?.row.size as number[], counts: c?.row.counts as string });
    expect(bits[250 * 1000 + 150]).toBe(1);
    expect(bits[250 * 1000 + 350]).toBe(0);
    expect(ofType(r.effects, "preview")[1]?.shape).toMatchObject({ kind: "stroke", radius: 8, erase: false });
    // The brush stays active for the next stroke.
    expect(ofType(r.effects, "switchTool")).toHaveLength(0);
  });

  it("a stroke with a mask selected is added to it (union)", () => {
    const w = world();
    const base = new Uint8Array(500 * 1000);
    base[10 * 1000 + 10] = 1;
    const rle = encodeMask(base, 500, 1000);
    const { ref } = seed(w, "masks", { view_id: "v1", size: rle.size, counts: rle.counts });
    w.selection = [ref];
    const r = run(brush, w, [down(at(w, 0.5, 0.5)), up(at(w, 0.5, 0.5))]);
    const [u] = ofType(r.effects, "update");
    expect(u?.id).toBe(ref.id);
    const merged = { size: u?.patch.size as number[], counts: u?.patch.counts as string };
    const bits = decodeMask(merged);
    expect(bits[10 * 1000 + 10]).toBe(1);
    expect(bits[250 * 1000 + 500]).toBe(1);
    expect(rleArea(merged)).toBeGreaterThan(1);
  });

  it("the eraser subtracts from the selected mask", () => {
    const w = world();
    const full = new Uint8Array(500 * 1000).fill(1);
    const rle = encodeMask(full, 500, 1000);
    const { ref } = seed(w, "masks", { view_id: "v1", size: rle.size, counts: rle.counts });
    w.selection = [ref];
    w.brushRadius = 20;
    const r = run(eraser, w, [down(at(w, 0.5, 0.5)), up(at(w, 0.5, 0.5))]);
    const [u] = ofType(r.effects, "update");
    const bits = decodeMask({ size: u?.patch.size as number[], counts: u?.patch.counts as string });
    expect(bits[250 * 1000 + 500]).toBe(0);
    expect(bits[0]).toBe(1);
    expect(ofType(r.effects, "preview")[0]?.shape).toMatchObject({ kind: "stroke", erase: true });
  });

  it("the eraser is refused without a selected mask", () => {
    const w = world();
    const r = run(eraser, w, [down(at(w, 0.5, 0.5)), up(at(w, 0.5, 0.5))]);
    expect(ofType(r.effects, "refuse")[0]?.reason).toMatch(/select a mask/);
    expect(ofType(r.effects, "update")).toHaveLength(0);
  });

  it("[ and ] shrink and grow the radius, within bounds", () => {
    const w = world();
    w.brushRadius = 10;
    expect(ofType(run(brush, w, [key("]")]).effects, "brushRadius")[0]?.radius).toBe(13);
    expect(ofType(run(brush, w, [key("[")]).effects, "brushRadius")[0]?.radius).toBe(8);
    w.brushRadius = MIN_BRUSH_RADIUS;
    expect(ofType(run(brush, w, [key("[")]).effects, "brushRadius")[0]?.radius).toBe(MIN_BRUSH_RADIUS);
    expect(run(brush, w, [key("]")]).handled).toBe(true);
  });

  it("a stroke entirely outside the image is refused", () => {
    const w = world();
    w.brushRadius = 2;
    const r = run(brush, w, [
      down({ ...at(w, 0.5, 0.5), x: -0.5, y: -0.5 }),
      up({ ...at(w, 0.5, 0.5), x: -0.5, y: -0.5 }),
    ]);
    expect(ofType(r.effects, "refuse")[0]?.reason).toMatch(/outside/);
  });

  it("Esc drops the stroke in progress", () => {
    const w = world();
    const r = run(brush, w, [down(at(w, 0.5, 0.5)), move(at(w, 0.6, 0.5)), key("Escape"), up(at(w, 0.6, 0.5))]);
    expect(ofType(r.effects, "create")).toHaveLength(0);
    expect(r.state).toEqual({ phase: "idle" });
  });
});

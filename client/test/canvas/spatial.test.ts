import { describe, expect, it } from "vitest";
import { SpatialGrid } from "../../src/canvas/scene/SpatialGrid.js";

describe("spatial grid", () => {
  it("answers rectangle queries exactly, once per item, across cells", () => {
    const g = new SpatialGrid(0, 0, 1000, 1000, 100);
    g.set(1, 10, 10, 20, 20);
    g.set(2, 150, 150, 450, 450);
    g.set(3, 900, 900, 950, 950);
    const out: number[] = [];
    expect(g.query(0, 0, 100, 100, out).sort()).toEqual([1]);
    expect(g.query(0, 0, 500, 500, out).sort()).toEqual([1, 2]);
    expect(g.query(300, 300, 310, 310, out)).toEqual([2]);
    expect(g.query(460, 460, 880, 880, out)).toEqual([]);
    expect(g.size).toBe(3);
  });

  it("moves and removes items", () => {
    const g = new SpatialGrid(0, 0, 1000, 1000, 100);
    const out: number[] = [];
    g.set(7, 10, 10, 20, 20);
    g.set(7, 800, 800, 810, 810);
    expect(g.query(0, 0, 50, 50, out)).toEqual([]);
    expect(g.query(790, 790, 820, 820, out)).toEqual([7]);
    g.remove(7);
    expect(g.query(0, 0, 1000, 1000, out)).toEqual([]);
    expect(g.has(7)).toBe(false);
    expect(g.size).toBe(0);
  });

  it("items spanning many cells and items outside the extent are still found", () => {
    const g = new SpatialGrid(0, 0, 1000, 1000, 10);
    const out: number[] = [];
    g.set(1, 0, 0, 1000, 1000);
    g.set(2, -50, -50, -40, -40);
    g.set(3, 1200, 1200, 1300, 1300);
    expect(g.query(500, 500, 501, 501, out)).toEqual([1]);
    expect(g.query(-60, -60, -30, -30, out)).toEqual([2]);
    expect(g.query(1250, 1250, 1260, 1260, out)).toEqual([3]);
    expect(g.query(990, 990, 1250, 1250, out).sort()).toEqual([1, 3]);
    g.remove(1);
    expect(g.query(500, 500, 501, 501, out)).toEqual([]);
  });

  it("sizes its cells from the expected item count", () => {
    const small = SpatialGrid.forExtent(0, 0, 1920, 1080, 100);
    const big = SpatialGrid.forExtent(0, 0, 1920, 1080, 100_000);
    expect(big.cellSize).toBeLessThan(small.cellSize);
    expect(big.cellSize).toBeGreaterThanOrEqual(16);
  });
});

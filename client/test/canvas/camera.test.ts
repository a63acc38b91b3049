import { describe, expect, it } from "vitest";
import {
  cameraOf,
  centredOn,
  fitCamera,
  panBy,
  screenToWorldX,
  screenToWorldY,
  viewportOf,
  visibleWorld,
  zoomAt,
  MAX_ZOOM,
} from "../../src/canvas/scene/camera.js";
import { tileAt, tilesBounds, tileViews } from "../../src/canvas/scene/layout.js";

describe("view tiling", () => {
  it("tiles views left to right with a gap, and finds the tile under a world x", () => {
    const tiles = tileViews([
      { id: "a", width: 1000, height: 500 },
      { id: "b", width: 400, height: 800 },
    ]);
    expect(tiles.map((t) => [t.id, t.x, t.y])).toEqual([
      ["a", 0, 0],
      ["b", 1024, 0],
    ]);
    expect(tilesBounds(tiles)).toEqual([0, 0, 1424, 800]);
    expect(tileAt(tiles, 10)?.id).toBe("a");
    expect(tileAt(tiles, 1015)?.id).toBe("b");
    expect(tileAt(tiles, 1005)?.id).toBe("a");
    expect(tileAt(tiles, 5000)?.id).toBe("b");
  });
});

describe("camera", () => {
  it("zooming keeps the world point under the pointer fixed", () => {
    const c = { x: 30, y: -20, zoom: 0.7 };
    const sx = 400;
    const sy = 250;
    const before = [screenToWorldX(c, sx), screenToWorldY(c, sy)];
    const z = zoomAt(c, sx, sy, 1.7);
    expect(z.zoom).toBeCloseTo(1.19);
    expect(screenToWorldX(z, sx)).toBeCloseTo(before[0] as number);
    expect(screenToWorldY(z, sy)).toBeCloseTo(before[1] as number);
    expect(zoomAt(c, 0, 0, 1e9).zoom).toBe(MAX_ZOOM);
  });

  it("fit shows the whole world centred within the margin", () => {
    const c = fitCamera([0, 0, 1920, 1080], 1280, 800, 16);
    const [x0, y0, x1, y1] = visibleWorld(c, 1280, 800);
    expect(x0).toBeLessThanOrEqual(0);
    expect(x1).toBeGreaterThanOrEqual(1920);
    expect((x0 + x1) / 2).toBeCloseTo(960);
    expect((y0 + y1) / 2).toBeCloseTo(540);
    expect(c.zoom).toBeCloseTo((1280 - 32) / 1920);
    expect(y0).toBeLessThan(0);
    expect(y1).toBeGreaterThan(1080);
  });

  it("a viewport read on one screen shows the same centre and zoom on another", () => {
    const [tile] = tileViews([{ id: "a", width: 1000, height: 500 }]);
    if (!tile) throw new Error("no tile");
    const mine = panBy(centredOn(300, 200, 2, 1200, 800), 40, -10);
    const v = viewportOf(mine, tile, 1200, 800);
    expect(v.viewId).toBe("a");
    const theirs = cameraOf(v, tile, 1600, 900);
    expect(theirs.zoom).toBe(2);
    expect(screenToWorldX(theirs, 800)).toBeCloseTo(screenToWorldX(mine, 600));
    expect(screenToWorldY(theirs, 450)).toBeCloseTo(screenToWorldY(mine, 400));
  });
});

import { describe, expect, it } from "vitest";
import { decodeMask, encodeMask, rleRuns } from "@tessera/shared-crdt";
import { dashSegments } from "../../src/canvas/render/dash.js";
import { adjustmentMatrix } from "../../src/canvas/render/imageAdjust.js";
import { cssToNumber, darken, zoomBucket } from "../../src/canvas/render/style.js";
import { pixelBox, runsToRgbaCrop } from "../../src/canvas/scene/maskPixels.js";

describe("render helpers", () => {
  it("dashes a polyline with the pattern continuing across vertices", () => {
    expect(dashSegments([0, 0, 10, 0, 10, 10], false, 6, 4)).toEqual([0, 0, 6, 0, 10, 0, 10, 6]);
    // The gap started on the first edge continues on the second.
    expect(dashSegments([0, 0, 8, 0, 8, 10], false, 6, 4)).toEqual([0, 0, 6, 0, 8, 2, 8, 8]);
    const closed = dashSegments([0, 0, 10, 0, 10, 10, 0, 10], true, 5, 5);
    const length = (s: number[]) => {
      let l = 0;
      for (let i = 0; i < s.length; i += 4)
        l += Math.hypot((s[i + 2] as number) - (s[i] as number), (s[i + 3] as number) - (s[i + 1] as number));
      return l;
    };
    expect(length(closed)).toBeCloseTo(20);
  });

  it("brightness/contrast matrix is null when neutral and maps grey levels as specified", () => {
    expect(adjustmentMatrix(1, 1)).toBeNull();
    const m = adjustmentMatrix(1.5, 2) as number[];
    const apply = (v: number) => (m[0] as number) * v + (m[4] as number);
    expect(apply(0.5)).toBeCloseTo(0.75);
    expect(apply(0.75)).toBeCloseTo(((0.75 - 0.5) * 2 + 0.5) * 1.5);
    expect(m[18]).toBe(1);
  });

  it("zoom steps are powers of √2 and CSS colours parse", () => {
    expect(zoomBucket(1)).toBe(1);
    expect(zoomBucket(1.3)).toBeCloseTo(Math.SQRT2);
    expect(zoomBucket(0.26)).toBeCloseTo(0.25);
    expect(cssToNumber("#ff8000")).toBe(0xff8000);
    expect(cssToNumber("#f80")).toBe(0xff8800);
    expect(cssToNumber("tomato", 7)).toBe(7);
    expect(darken(0xffffff, 0.5)).toBe(0x808080);
    expect(darken(0x4080c0, 1)).toBe(0x4080c0);
  });

  it("mask runs become an RGBA crop of the mask's box with exactly its pixels", () => {
    const h = 40;
    const w = 30;
    const bits = new Uint8Array(h * w);
    for (let y = 5; y < 20; y++) for (let x = 8; x < 12; x++) bits[y * w + x] = 1;
    bits[39 * w + 29] = 1;
    const rle = encodeMask(bits, h, w);
    const box = pixelBox([8 / w, 5 / h, 22 / w, 35 / h], w, h);
    expect(box).toEqual({ x: 8, y: 5, w: 22, h: 35 });
    const rgba = runsToRgbaCrop(rleRuns(rle), h, box);
    const back = decodeMask(rle);
    for (let y = 0; y < box.h; y++) {
      for (let x = 0; x < box.w; x++)
        expect(rgba[(y * box.w + x) * 4 + 3]).toBe(back[(y + box.y) * w + x + box.x] ? 255 : 0);
    }
  });
});

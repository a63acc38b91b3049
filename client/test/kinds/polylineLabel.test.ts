import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import { kindLabel } from "../../src/kinds/registry.js";

/** `multi_paths` rows in the object list: an open path is a polyline, not a polygon. */
describe("polyline named polyline", () => {
  it("labels an open multi_paths row 'polyline' (it was 'polygon') and a closed one 'polygon'", () => {
    expect(kindLabel("multi_paths", { coords: [0, 0, 1, 1], num_points: [2], is_closed: false })).toBe("polyline");
    expect(kindLabel("multi_paths", { coords: [0, 0, 1, 0, 1, 1], num_points: [3], is_closed: true })).toBe("polygon");
  });

  it("keeps the kind's own label when no row is given, and other kinds' labels", () => {
    expect(kindLabel("multi_paths")).toBe("polygon");
    expect(kindLabel("bboxes", { coords: [0, 0, 1, 1] })).toBe(kindLabel("bboxes"));
  });
});

import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import { kindView as bboxView } from "../../src/kinds/bboxes.kind.js";
import { DuplicateKindError, isShapeTable, kindLabel, kindViews, registerKindView } from "../../src/kinds/registry.js";
import { allTools, toolUses } from "../../src/tools/registry.js";

/**
 * The client half of "annotation kinds with one home": every kind the canvas draws is one module
 * found without a list. A new kind drawn end to end — the test-only `ellipses` kind, its data half,
 * its view (`./ellipses.kind.ts`) and its canvas, REST and JSONL proof — is
 * `server/test/kinds/ellipses.test.ts`, which can load both halves (docs/ARCHITECTURE.md §9).
 */

describe("kind views: one module per kind, found without a list", () => {
  it("discovers every kind module of src/kinds by its file alone", () => {
    // The files themselves (not loaded here), as Vite lists them.
    const tables = Object.keys(import.meta.glob("../../src/kinds/*.kind.ts")).map((f) =>
      f.slice("../../src/kinds/".length, -".kind.ts".length),
    );
    expect(tables).toEqual(expect.arrayContaining(["bboxes", "masks", "keypoints", "multi_paths"]));
    for (const t of tables) expect(kindLabel(t), t).toBeDefined();
    expect(kindViews().map((k) => k.table)).toEqual(["bboxes", "multi_paths", "keypoints", "masks"]);
    expect(allTools().map((t) => t.name)).toEqual([
      "select",
      "bbox",
      "polygon",
      "polyline",
      "keypoints",
      "brush",
      "eraser",
      "segment",
    ]);
  });

  it("shows the options strip's settings for the tools whose kind uses them", () => {
    expect(toolUses("keypoints", "template")).toBe(true);
    expect(toolUses("brush", "brushSize") && toolUses("eraser", "brushSize")).toBe(true);
    for (const t of ["select", "bbox", "polygon", "polyline"] as const)
      expect([toolUses(t, "template"), toolUses(t, "brushSize")]).toEqual([false, false]);
  });

  it("refuses a second kind view for a table that already has one", () => {
    expect(() => registerKindView(bboxView)).toThrow(DuplicateKindError);
    expect(() => registerKindView(bboxView)).toThrow(/two kind views for table bboxes/);
    expect(isShapeTable("tracklets")).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { workspaceFor } from "../../src/workspaces/registry.js";
import { readTextSelection, TEXT_SELECTION_FIELD } from "../../src/workspaces/entity_linking/presence.js";
import { segmentText } from "../../src/workspaces/entity_linking/segments.js";
import { viewOfSpan } from "../../src/workspaces/entity_linking/textViews.js";

describe("entity-linking workspace (client/src/workspaces/entity_linking)", () => {
  it("opens Pixano's image_text_entity_linking datasets (they no longer fall back to the image workspace)", () => {
    const w = workspaceFor("image_text_entity_linking");
    expect(w.id).toBe("entity_linking");
    expect(w.title).toBe("Entity linking");
  });

  it("cuts a text at every span, pending and peer boundary; overlapping spans share a run", () => {
    const segs = segmentText(20, [
      {
        key: "s:a",
        ranges: [
          { start: 2, end: 6 },
          { start: 12, end: 15 },
        ],
      },
      { key: "s:b", ranges: [{ start: 4, end: 8 }] },
      { key: "p", ranges: [{ start: 14, end: 40 }] },
      { key: "u:7", ranges: [{ start: 9, end: 9 }] },
    ]);
    expect(segs).toEqual([
      { start: 0, end: 2, keys: [] },
      { start: 2, end: 4, keys: ["s:a"] },
      { start: 4, end: 6, keys: ["s:a", "s:b"] },
      { start: 6, end: 8, keys: ["s:b"] },
      { start: 8, end: 12, keys: [] },
      { start: 12, end: 14, keys: ["s:a"] },
      { start: 14, end: 15, keys: ["s:a", "p"] },
      { start: 15, end: 20, keys: ["p"] },
    ]);
    expect(segmentText(0, [])).toEqual([]);
  });

  it("reads another person's text selection from awareness only when well formed", () => {
    const ok = {
      [TEXT_SELECTION_FIELD]: {
        viewId: "t1",
        ranges: [
          { start: 1, end: 4 },
          { start: 5, end: 5 },
        ],
      },
    };
    expect(readTextSelection(ok)).toEqual({ viewId: "t1", ranges: [{ start: 1, end: 4 }] });
    for (const bad of [
      null,
      "x",
      {},
      { [TEXT_SELECTION_FIELD]: null },
      { [TEXT_SELECTION_FIELD]: { viewId: 3, ranges: [] } },
      { [TEXT_SELECTION_FIELD]: { viewId: "t1", ranges: "0-4" } },
      {
        [TEXT_SELECTION_FIELD]: {
          viewId: "t1",
          ranges: [
            { start: -1, end: 2 },
            { start: 0.5, end: 2 },
          ],
        },
      },
      { [TEXT_SELECTION_FIELD]: { viewId: "t1", ranges: [{ start: "0", end: 2 }] } },
    ])
      expect(readTextSelection(bad)).toBeNull();
    // At most 16 ranges are read from a peer.
    const many = {
      [TEXT_SELECTION_FIELD]: {
        viewId: "t",
        ranges: Array.from({ length: 100 }, (_, i) => ({ start: i, end: i + 1 })),
      },
    };
    expect(readTextSelection(many)?.ranges).toHaveLength(16);
  });
});

describe("which text a span shows in (viewOfSpan)", () => {
  const a = { id: "t-a", logicalName: "caption", content: "x", uri: "" };
  const b = { id: "t-b", logicalName: "title", content: "y", uri: "" };
  it("by id, else by logical name (Pixano's view_name bug), else the only text for an empty view_id (Pixano #656)", () => {
    expect(viewOfSpan("t-b", [a, b])).toBe(b);
    expect(viewOfSpan("caption", [a, b])).toBe(a);
    expect(viewOfSpan("", [a])).toBe(a);
    expect(viewOfSpan("", [a, b])).toBeUndefined();
    expect(viewOfSpan("elsewhere", [a])).toBeUndefined();
  });
});

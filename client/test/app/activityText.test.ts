import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import type { ActivityEntry } from "@tessera/shared-crdt";
import { activityText } from "../../src/pages/workspace/activityText.js";

const edit = (tables: ActivityEntry["tables"]): ActivityEntry => ({
  id: "a1",
  datasetId: "ds",
  recordId: "r1",
  kind: "edit",
  user: { id: "u1", name: "Alice", color: "#fff", role: "annotator" },
  at: "2026-12-06T12:00:00.000Z",
  ...(tables ? { tables } : {}),
});

describe("the activity feed in people's terms", () => {
  it("names what was added, changed and removed by its kind, counted, instead of rows", () => {
    expect(
      activityText(
        edit({
          entities: { added: 2, updated: 0, removed: 0 },
          bboxes: { added: 2, updated: 1, removed: 0 },
          masks: { added: 0, updated: 0, removed: 1 },
        }),
      ),
    ).toBe("added 2 objects and 2 boxes, changed 1 box, removed 1 mask");
    expect(activityText(edit({ classifications: { added: 3, updated: 0, removed: 0 } }))).toBe("added 3 classes");
    expect(activityText(edit({ keypoints: { added: 2, updated: 0, removed: 0 } }))).toBe("added 2 keypoints");
    expect(activityText(edit({ messages: { added: 1, updated: 4, removed: 0 } }))).toBe(
      "added 1 message, changed 4 messages",
    );
  });

  it("says when only the record's own fields changed, and falls back for an empty batch", () => {
    expect(activityText(edit({ records: { added: 0, updated: 1, removed: 0 } }))).toBe("edited the record's fields");
    expect(activityText(edit({}))).toBe("edited the record");
    expect(activityText(edit(undefined))).toBe("edited the record");
  });
});

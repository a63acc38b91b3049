import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import { resolveKey, shortcuts } from "../../src/app/keymap.js";
import { pinLabel, pinOfSelection } from "../../src/review/pins.js";

const press = (key: string, shift = false) => ({ key, shift, ctrl: false, alt: false });

describe("reviewing fast: keys and pins (SPEC RV7)", () => {
  it("Shift+A approves-and-nexts and Shift+R rejects-and-nexts, never while typing, and both are listed in ?", () => {
    expect(resolveKey(press("A", true), false)).toEqual({ kind: "approveNext" });
    expect(resolveKey(press("R", true), false)).toEqual({ kind: "rejectNext" });
    expect(resolveKey(press("A", true), true)).toBeNull();
    // Plain A / R keep their meaning (R is the box tool).
    expect(resolveKey(press("a"), false)?.kind).not.toBe("approveNext");
    expect(resolveKey(press("r"), false)?.kind).toBe("tool");
    const listed = shortcuts().flatMap((g) => g.items.map((i) => i.keys));
    expect(listed).toEqual(expect.arrayContaining(["Shift+A", "Shift+R"]));
  });

  it("pins a comment to the selected object (entity and annotation) and says where a pin points", () => {
    const entityOf = (r: { table: string; id: string }) => (r.id === "b1" ? "e1" : null);
    expect(pinOfSelection([], entityOf)).toBeNull();
    expect(pinOfSelection([{ table: "bboxes", id: "b1" }], entityOf)).toEqual({ entity_id: "e1", annotation_id: "b1" });
    expect(pinOfSelection([{ table: "entities", id: "e9" }], entityOf)).toEqual({ entity_id: "e9" });
    expect(pinLabel({ entity_id: "e1", annotation_id: "b1" })).toBe("object e1");
    expect(pinLabel({ view_name: "image", x: 0.25, y: 0.5 })).toBe("point 25% · 50% of image");
    expect(pinLabel({ view_name: "image", x: 0.1, y: 0.2, w: 0.3, h: 0.4, frame_index: 4 })).toBe(
      "region 10% · 20%, 30% × 40% of image, frame 5",
    );
  });
});

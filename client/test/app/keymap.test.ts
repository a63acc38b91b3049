import "../canvas/pixiInNode.js";
import { describe, expect, it } from "vitest";
import { keyPressOf, resolveKey, shortcuts, toolKeys, type KeyPress } from "../../src/app/keymap.js";

const k = (key: string, mods: Partial<Omit<KeyPress, "key">> = {}): KeyPress => ({
  key,
  ctrl: false,
  shift: false,
  alt: false,
  ...mods,
});

describe("keymap", () => {
  it("maps the Label Studio tool keys and N", () => {
    expect(resolveKey(k("v"), false)).toEqual({ kind: "tool", tool: "select" });
    expect(resolveKey(k("R"), false)).toEqual({ kind: "tool", tool: "bbox" });
    expect(resolveKey(k("p"), false)).toEqual({ kind: "tool", tool: "polygon" });
    expect(resolveKey(k("l"), false)).toEqual({ kind: "tool", tool: "polyline" });
    expect(resolveKey(k("k"), false)).toEqual({ kind: "tool", tool: "keypoints" });
    expect(resolveKey(k("b"), false)).toEqual({ kind: "tool", tool: "brush" });
    expect(resolveKey(k("e"), false)).toEqual({ kind: "tool", tool: "eraser" });
    expect(resolveKey(k("n"), false)).toEqual({ kind: "repeatTool" });
  });

  it("undo / redo with Ctrl or ⌘, Shift or Y", () => {
    expect(resolveKey(k("z", { ctrl: true }), false)).toEqual({ kind: "undo" });
    expect(resolveKey(k("Z", { ctrl: true, shift: true }), false)).toEqual({ kind: "redo" });
    expect(resolveKey(k("y", { ctrl: true }), false)).toEqual({ kind: "redo" });
    expect(
      resolveKey(keyPressOf({ key: "z", ctrlKey: false, metaKey: true, shiftKey: false, altKey: false }), false),
    ).toEqual({ kind: "undo" });
    // Ctrl+R (browser reload) is not the bbox tool.
    expect(resolveKey(k("r", { ctrl: true }), false)).toBeNull();
  });

  it("records, categories, delete, view and help", () => {
    expect(resolveKey(k("ArrowLeft", { shift: true }), false)).toEqual({ kind: "prevRecord" });
    expect(resolveKey(k("ArrowRight", { shift: true }), false)).toEqual({ kind: "nextRecord" });
    expect(resolveKey(k("ArrowRight"), false)).toBeNull();
    expect(resolveKey(k("1"), false)).toEqual({ kind: "category", index: 0 });
    expect(resolveKey(k("9"), false)).toEqual({ kind: "category", index: 8 });
    expect(resolveKey(k("0"), false)).toEqual({ kind: "oneToOne" });
    expect(resolveKey(k("f"), false)).toEqual({ kind: "fit" });
    expect(resolveKey(k("Delete"), false)).toEqual({ kind: "delete" });
    expect(resolveKey(k("Backspace"), false)).toEqual({ kind: "delete" });
    expect(resolveKey(k("?", { shift: true }), false)).toEqual({ kind: "help" });
    expect(resolveKey(k("Enter"), false)).toEqual({ kind: "confirm" });
    expect(resolveKey(k("["), false)).toEqual({ kind: "brushSize", delta: -1 });
    expect(resolveKey(k("]"), false)).toEqual({ kind: "brushSize", delta: 1 });
  });

  it("leaves every key but Escape to a focused text field", () => {
    expect(resolveKey(k("r"), true)).toBeNull();
    expect(resolveKey(k("z", { ctrl: true }), true)).toBeNull();
    expect(resolveKey(k("Escape"), true)).toEqual({ kind: "escape" });
  });

  it("lists every tool key in the help overlay", () => {
    const listed = new Set(shortcuts().flatMap((g) => g.items.map((i) => i.keys)));
    for (const key of Object.keys(toolKeys())) expect(listed.has(key.toUpperCase())).toBe(true);
    for (const keys of ["N", "Del", "Ctrl+Z", "Shift+←", "Shift+→", "1 – 9", "Esc", "?"])
      expect(listed.has(keys)).toBe(true);
  });
});

import type { ToolName } from "../canvas/types.js";
import { allTools } from "../tools/registry.js";

/**
 * The workspace's keyboard (CVAT / Label Studio habits, UI.md "Interaction"): one table that both
 * resolves key presses and lists every shortcut in the `?` overlay, so the two never disagree.
 * Pure: a normalised key press in, a command out.
 */
export type Command =
  | { readonly kind: "tool"; readonly tool: ToolName }
  | { readonly kind: "repeatTool" }
  | { readonly kind: "delete" }
  | { readonly kind: "undo" }
  | { readonly kind: "redo" }
  | { readonly kind: "prevRecord" }
  | { readonly kind: "nextRecord" }
  | { readonly kind: "approveNext" }
  | { readonly kind: "rejectNext" }
  | { readonly kind: "category"; readonly index: number }
  | { readonly kind: "escape" }
  | { readonly kind: "confirm" }
  | { readonly kind: "help" }
  | { readonly kind: "fit" }
  | { readonly kind: "oneToOne" }
  | { readonly kind: "brushSize"; readonly delta: -1 | 1 };

export interface KeyPress {
  readonly key: string;
  readonly ctrl: boolean;
  readonly shift: boolean;
  readonly alt: boolean;
}

/** Ctrl and ⌘ are one modifier (Ctrl+Z on Linux/Windows, ⌘Z on macOS). */
export function keyPressOf(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "shiftKey" | "altKey">): KeyPress {
  return { key: e.key, ctrl: e.ctrlKey || e.metaKey, shift: e.shiftKey, alt: e.altKey };
}

/** Tool by shortcut key: `select` and the tools the kinds bring (`client/src/kinds/`). */
export function toolKeys(): Readonly<Record<string, ToolName>> {
  return Object.fromEntries(allTools().map((t) => [t.key, t.name]));
}

/**
 * Resolves a key press. `typing` is true when focus is in a text field: then only Escape gets
 * through (the field owns every other key).
 */
export function resolveKey(k: KeyPress, typing: boolean): Command | null {
  if (k.key === "Escape") return { kind: "escape" };
  if (typing) return null;
  const lower = k.key.length === 1 ? k.key.toLowerCase() : k.key;
  if (k.ctrl && !k.alt) {
    if (lower === "z") return k.shift ? { kind: "redo" } : { kind: "undo" };
    if (lower === "y" && !k.shift) return { kind: "redo" };
    return null;
  }
  if (k.alt) return null;
  if (k.shift && k.key === "ArrowLeft") return { kind: "prevRecord" };
  if (k.shift && k.key === "ArrowRight") return { kind: "nextRecord" };
  if (k.shift && lower === "a") return { kind: "approveNext" };
  if (k.shift && lower === "r") return { kind: "rejectNext" };
  if (k.key === "?") return { kind: "help" };
  if (k.key === "Enter") return { kind: "confirm" };
  if (k.key === "Delete" || k.key === "Backspace") return { kind: "delete" };
  if (k.shift) return null;
  const tool = allTools().find((t) => t.key === lower);
  if (tool) return { kind: "tool", tool: tool.name };
  if (lower === "n") return { kind: "repeatTool" };
  if (lower === "f") return { kind: "fit" };
  if (lower === "0") return { kind: "oneToOne" };
  if (k.key === "[") return { kind: "brushSize", delta: -1 };
  if (k.key === "]") return { kind: "brushSize", delta: 1 };
  if (/^[1-9]$/.test(lower)) return { kind: "category", index: Number(lower) - 1 };
  return null;
}

export interface ShortcutGroup {
  readonly title: string;
  readonly items: ReadonlyArray<{ readonly keys: string; readonly action: string }>;
}

/** Every shortcut, for the `?` overlay (the canvas's own pointer gestures included). */
export function shortcuts(): readonly ShortcutGroup[] {
  return [
    {
      title: "Tools",
      items: [
        ...allTools().map((t) => ({ keys: t.key.toUpperCase(), action: t.label })),
        { keys: "N", action: "Repeat the last drawing tool" },
      ],
    },
    {
      title: "Drawing",
      items: [
        { keys: "Drag", action: "Draw a box (Shift constrains)" },
        { keys: "Click", action: "Add a polygon / polyline vertex" },
        { keys: "Enter", action: "Close the shape / confirm the form" },
        { keys: "Backspace", action: "Remove the last vertex while drawing" },
        { keys: "Esc", action: "Cancel drawing, close the form, stop following, clear the selection" },
        { keys: "1 – 9", action: "Pick a category (new shape, form, or selection)" },
      ],
    },
    {
      title: "Editing",
      items: [
        { keys: "Del", action: "Delete the selection" },
        { keys: "Ctrl+Z", action: "Undo your last edit (only yours)" },
        { keys: "Ctrl+Shift+Z · Ctrl+Y", action: "Redo" },
        { keys: "Alt (hold)", action: "Show hidden shapes" },
        { keys: "[ · ]", action: "Smaller / larger brush" },
      ],
    },
    {
      title: "View",
      items: [
        { keys: "Wheel", action: "Zoom around the pointer" },
        { keys: "Space+drag · middle drag", action: "Pan" },
        { keys: "F", action: "Fit the image" },
        { keys: "0", action: "Zoom 1:1" },
      ],
    },
    {
      title: "Records",
      items: [
        { keys: "Shift+←", action: "Previous record (filtered order)" },
        { keys: "Shift+→", action: "Next record" },
        { keys: "Shift+A", action: "Approve, then the next record waiting for review (reviewers)" },
        { keys: "Shift+R", action: "Reject with a comment, then the next record waiting for review (reviewers)" },
        { keys: "?", action: "This help" },
        { keys: "Shift+N", action: "Next record assigned to me, not finished (explorer and workspace)" },
      ],
    },
  ];
}

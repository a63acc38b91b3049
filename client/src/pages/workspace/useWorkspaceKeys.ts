import { onCleanup, type Accessor } from "solid-js";
import { keyPressOf, resolveKey, type Command } from "../../app/keymap.js";
import type { CanvasController, ToolName } from "../../canvas/types.js";
import { leaveTextField } from "../../ui/leaveTextField.js";
import type { WorkspaceShortcut } from "../../workspaces/types.js";

/**
 * The workspace's keyboard: {@link resolveKey} decides the command, this runs it. Keys the canvas
 * understands (Enter, Esc, Backspace, Delete while drawing; Shift, Space, Alt held) go to it first;
 * what it does not use falls back to the workspace (delete the selection, stop following…).
 */
export interface WorkspaceKeyActions {
  /** The workspace module's own keys: tried first (outside text fields), then the common keymap. */
  readonly shortcuts: readonly WorkspaceShortcut[];
  readonly controller: Accessor<CanvasController | null>;
  readonly editable: Accessor<boolean>;
  /** A dialog is open: it owns the keyboard. */
  readonly blocked: () => boolean;
  readonly form: () => boolean;
  setTool(t: ToolName): void;
  repeatTool(): void;
  deleteSelection(): void;
  undo(): void;
  redo(): void;
  prev(): void;
  next(): void;
  /** Review and open the queue's next record; false when this person may not review this record now. */
  approveNext(): boolean;
  rejectNext(): boolean;
  pickCategory(index: number): void;
  confirmForm(): void;
  cancelForm(): void;
  /** True when Esc stopped following. */
  escapeFollow(): boolean;
  clearSelection(): void;
  help(): void;
  brushSize(delta: -1 | 1): void;
}

function isTyping(el: EventTarget | null): boolean {
  return el instanceof HTMLElement && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

export function useWorkspaceKeys(a: WorkspaceKeyActions): void {
  const toCanvas = (e: KeyboardEvent, type: "down" | "up"): boolean =>
    a.controller()?.key({ key: e.key, shift: e.shiftKey, ctrl: e.ctrlKey || e.metaKey, alt: e.altKey, type }) ?? false;

  const run = (cmd: Command, e: KeyboardEvent): boolean => {
    switch (cmd.kind) {
      case "tool":
        if (!a.editable() && cmd.tool !== "select") return false;
        a.setTool(cmd.tool);
        return true;
      case "repeatTool":
        if (!a.editable()) return false;
        // While drawing a polygon, N finishes the ring and starts another: the canvas decides first.
        if (toCanvas(e, "down")) return true;
        a.repeatTool();
        return true;
      case "delete":
        if (a.form()) return false;
        if (toCanvas(e, "down")) return true;
        if (e.key === "Backspace" && !a.editable()) return false;
        a.deleteSelection();
        return true;
      case "undo":
        if (!a.editable()) return false;
        a.undo();
        return true;
      case "redo":
        if (!a.editable()) return false;
        a.redo();
        return true;
      case "prevRecord":
        a.prev();
        return true;
      case "nextRecord":
        a.next();
        return true;
      case "approveNext":
        return a.approveNext();
      case "rejectNext":
        return a.rejectNext();
      case "category":
        if (!a.editable()) return false;
        a.pickCategory(cmd.index);
        return true;
      case "confirm":
        if (a.form()) {
          a.confirmForm();
          return true;
        }
        return toCanvas(e, "down");
      case "escape":
        if (a.form()) {
          a.cancelForm();
          return true;
        }
        // Esc leaves a text field (focus goes back to the page, so the shortcuts work again).
        if (leaveTextField(e)) return true;
        if (toCanvas(e, "down")) return true;
        if (a.escapeFollow()) return true;
        a.clearSelection();
        return true;
      case "help":
        a.help();
        return true;
      case "fit":
        a.controller()?.fit();
        return true;
      case "oneToOne":
        a.controller()?.oneToOne();
        return true;
      case "brushSize":
        a.brushSize(cmd.delta);
        return true;
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (a.blocked() || e.defaultPrevented) return;
    const typing = isTyping(e.target);
    const press = keyPressOf(e);
    if (!typing) {
      for (const s of a.shortcuts) {
        if (!s.matches(press) || (s.edits && !a.editable())) continue;
        if (s.run()) {
          e.preventDefault();
          return;
        }
      }
    }
    const cmd = resolveKey(press, typing);
    if (cmd) {
      if (run(cmd, e)) e.preventDefault();
      return;
    }
    // Held modifiers and Space (pan) are the canvas's business.
    if (!typing && toCanvas(e, "down")) e.preventDefault();
  };
  const onKeyUp = (e: KeyboardEvent) => {
    if (a.blocked() || isTyping(e.target)) return;
    toCanvas(e, "up");
  };
  window.addEventListener("keydown", onKeyDown);
  window.addEventListener("keyup", onKeyUp);
  onCleanup(() => {
    window.removeEventListener("keydown", onKeyDown);
    window.removeEventListener("keyup", onKeyUp);
  });
}

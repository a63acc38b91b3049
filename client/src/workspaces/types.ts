import type { Component } from "solid-js";
import type { KeyPress } from "../app/keymap.js";
import type { WorkspaceContext } from "../pages/workspace/workspaceContext.js";

/**
 * A workspace: what the record page shows around the shared shell for one kind of dataset
 * (Pixano's `info.json` `workspace`: `image`, `video`, `image_vqa`, `image_text_entity_linking`).
 *
 * The shell (`pages/workspace/WorkspaceBody.tsx`) owns what every workspace has: the top bar,
 * sync state, workflow, presence and follow mode, the canvas with its tools, the inspector, per-user
 * undo and the common keyboard. A workspace module adds its own pieces through {@link WorkspaceParts}:
 * a dock under the canvas (the video timeline), a side panel next to it (VQA conversations, entity
 * linking texts), shortcuts (listed in `?` with the others) and a hook on the canvas once it runs.
 * Modules are found without a list: every `client/src/workspaces/*.workspace.tsx` exporting
 * `workspace` (see `registry.ts`).
 */
export interface WorkspaceModule {
  /** Our name for it (test ids, CSS class `ws-<id>`). */
  readonly id: string;
  /** Pixano `workspace` values this module opens (`"image"`, `"video"`, …). */
  readonly pixanoWorkspaces: readonly string[];
  /** Shown in the `?` overlay as the title of this workspace's shortcuts. */
  readonly title: string;
  /**
   * Called once per open record, inside the body's reactive owner: signals and `onCleanup` work,
   * and everything made here is disposed when the record closes.
   */
  open(ctx: WorkspaceContext): WorkspaceParts;
}

interface WorkspaceParts {
  /** Under the canvas, full width of the stage (e.g. the video timeline). */
  readonly Dock?: Component;
  /** A column between the stage and the inspector (e.g. conversations, texts). */
  readonly Side?: Component;
  /** Resolved before the common keymap (when focus is not in a text field) and listed in `?`. */
  readonly shortcuts?: readonly WorkspaceShortcut[];
}

export interface WorkspaceShortcut {
  /** As shown in `?` (e.g. `"F · →"`). */
  readonly keys: string;
  readonly action: string;
  readonly matches: (k: KeyPress) => boolean;
  /** Refused (falls through to the common keymap) while the record is read-only for this person. */
  readonly edits?: boolean;
  /** Returns false when it did nothing (the key then goes on to the common keymap and the canvas). */
  readonly run: () => boolean;
}

import { createComponent, lazy } from "solid-js";
import { createLinking } from "./entity_linking/linking.js";
import type { WorkspaceModule } from "./types.js";

/**
 * The entity-linking workspace (Pixano `image_text_entity_linking`): the shell's image canvas, and
 * a side panel with the record's texts, their spans highlighted in their entity's colour. Select
 * text (Ctrl/⌘ adds a range) to make a span and link it to an entity that has a box or mask, or to
 * a new one; hovering a span outlines its entity's shapes, hovering a shape or selecting an entity
 * lights its spans. Offsets are Pixano's (SPEC S-SPANS-UNIT); edits go through shared-crdt's span
 * mutators, live for everyone on the record, each one undo step of its author.
 *
 * The panel is its own chunk, loaded when such a record opens (the registry imports every module
 * eagerly; this one stays small).
 */
const LinkingPanel = lazy(() => import("./entity_linking/LinkingPanel.js"));

export const workspace: WorkspaceModule = {
  id: "entity_linking",
  title: "Entity linking",
  pixanoWorkspaces: ["image_text_entity_linking"],
  open: (ctx) => {
    const linking = createLinking(ctx);
    return {
      Side: () => createComponent(LinkingPanel, { ctx, linking }),
      shortcuts: [
        {
          keys: "Enter",
          action: "Link the selected text (to the chosen entity, or a new one)",
          edits: true,
          matches: (k) => k.key === "Enter" && !k.ctrl && !k.alt,
          // While a drawing tool is active, Enter is the canvas's (closing a polygon).
          run: () => (ctx.controller()?.getTool() ?? "select") === "select" && linking.confirm(),
        },
        {
          keys: "Esc",
          action: "Drop the text selection",
          matches: (k) => k.key === "Escape",
          run: () => linking.cancel(),
        },
        // Listed in `?` only: the text panel reads Ctrl/⌘ from the mouse event of the selection itself.
        {
          keys: "Ctrl + select",
          action: "Add a range to the selection (discontinuous span)",
          matches: () => false,
          run: () => false,
        },
      ],
    };
  },
};

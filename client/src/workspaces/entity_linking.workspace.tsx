import { createLinking } from "./entity_linking/linking.js";
import { LinkingPanel } from "./entity_linking/LinkingPanel.js";
import type { WorkspaceModule } from "./types.js";
import "./entity_linking/entityLinking.css";

/**
 * The entity-linking workspace (Pixano `image_text_entity_linking`): the shell's image canvas, and
 * a side panel with the record's texts, their spans highlighted in their entity's colour. Select
 * text (Ctrl/⌘ adds a range) to make a span and link it to an entity that has a box or mask, or to
 * a new one; hovering a span outlines its entity's shapes, hovering a shape or selecting an entity
 * lights its spans. Offsets are Pixano's (SPEC S-SPANS-UNIT); edits go through shared-crdt's span
 * mutators, live for everyone on the record, each one undo step of its author.
 */
export const workspace: WorkspaceModule = {
  id: "entity_linking",
  title: "Entity linking",
  pixanoWorkspaces: ["image_text_entity_linking"],
  open: (ctx) => {
    const linking = createLinking(ctx);
    return {
      Side: () => <LinkingPanel ctx={ctx} linking={linking} />,
      shortcuts: [
        {
          keys: "Enter",
          action: "Link the selected text (to the chosen entity, or a new one)",
          edits: true,
          matches: (k) => k.key === "Enter" && !k.ctrl && !k.alt,
          run: () => linking.confirm(),
        },
        {
          keys: "Esc",
          action: "Drop the text selection",
          matches: (k) => k.key === "Escape",
          run: () => linking.cancel(),
        },
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

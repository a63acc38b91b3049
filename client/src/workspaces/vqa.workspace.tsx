import { createComponent, lazy } from "solid-js";
import type { WorkspaceModule } from "./types.js";
import { vqaActions } from "./vqa/actions.js";
import { conversationStore } from "./vqa/model.js";

/**
 * The VQA workspace (Pixano `image_vqa`): the shell's image canvas and tools, plus a side panel of
 * the record's conversations — questions of every Pixano type with their answers, edited by
 * several people at once (the texts merge, SPEC D-TEXT; answers in Pixano's `[[A,C]]` encoding,
 * SPEC D-VQA); who is typing where shows in presence.
 *
 * The panel is its own chunk, loaded when such a record opens (the registry imports every module
 * eagerly, and vitest has no JSX transform).
 */
const ConversationPanel = lazy(() => import("./vqa/ConversationPanel.js"));

export const workspace: WorkspaceModule = {
  id: "vqa",
  title: "VQA",
  pixanoWorkspaces: ["image_vqa"],
  open: (ctx) => {
    const store = conversationStore(ctx.docCtx.doc);
    const actions = vqaActions(ctx);
    return {
      Side: () => createComponent(ConversationPanel, { ctx, actions, conversations: () => store.list }),
      // Keys of the panel's text fields, listed in `?` (the fields handle them; the shell never sees them).
      shortcuts: [
        { keys: "Ctrl + Enter", action: "Ask the question being written", matches: () => false, run: () => false },
        { keys: "Esc", action: "Close the question form", matches: () => false, run: () => false },
      ],
    };
  },
};

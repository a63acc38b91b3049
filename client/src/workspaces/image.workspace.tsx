import type { WorkspaceModule } from "./types.js";

/**
 * The image workspace (Pixano `image`): the shell's canvas, tools, object list and inspector are the
 * whole of it. Also opens datasets whose `workspace` no other module claims.
 */
export const workspace: WorkspaceModule = {
  id: "image",
  title: "Image",
  pixanoWorkspaces: ["image", "undefined"],
  open: () => ({}),
};

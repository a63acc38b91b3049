import { describe, expect, it } from "vitest";
import { WORKSPACES } from "@tessera/shared-crdt";
import { workspaceFor } from "../../src/workspaces/registry.js";

describe("workspace modules (client/src/workspaces/*.workspace.tsx)", () => {
  it("every Pixano workspace opens in some module, and image datasets in the image workspace", () => {
    for (const w of WORKSPACES) expect(workspaceFor(w).pixanoWorkspaces.length).toBeGreaterThan(0);
    expect(workspaceFor("image").id).toBe("image");
  });

  it("a workspace no module claims opens in the image workspace (Pixano never refuses to open it)", () => {
    expect(workspaceFor("point_cloud").id).toBe("image");
    expect(workspaceFor("").id).toBe("image");
  });

  it("each module claims distinct Pixano workspaces and shows a title in the shortcut help", () => {
    const seen = new Map<string, string>();
    for (const w of WORKSPACES) {
      const m = workspaceFor(w);
      expect(m.title).not.toBe("");
      if (m.pixanoWorkspaces.includes(w)) seen.set(w, m.id);
    }
    expect(seen.get("image")).toBe("image");
  });
});

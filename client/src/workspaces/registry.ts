import type { WorkspaceModule } from "./types.js";

/**
 * The workspace modules, found without a list: every `./*.workspace.tsx` exporting `workspace`
 * (Vite and vitest resolve the glob at build time). The image workspace opens what no other claims
 * (Pixano's `image`, and datasets whose `workspace` is unset or unknown to us).
 */
const MODULES: Readonly<Record<string, { readonly workspace?: WorkspaceModule }>> = import.meta.glob<{
  readonly workspace?: WorkspaceModule;
}>("./*.workspace.tsx", { eager: true });

/** Two modules claim one Pixano workspace: a programming error, found at start-up. */
class DuplicateWorkspaceError extends Error {
  override readonly name = "DuplicateWorkspaceError";
}

let byName: ReadonlyMap<string, WorkspaceModule> | null = null;
const FALLBACK = "image";

function modules(): ReadonlyMap<string, WorkspaceModule> {
  if (byName) return byName;
  const map = new Map<string, WorkspaceModule>();
  for (const m of Object.values(MODULES)) {
    const w = m.workspace;
    if (!w) continue;
    for (const name of w.pixanoWorkspaces) {
      const prev = map.get(name);
      if (prev) throw new DuplicateWorkspaceError(`workspaces ${prev.id} and ${w.id} both open "${name}"`);
      map.set(name, w);
    }
  }
  byName = map;
  return map;
}

/** The module that opens a dataset of this Pixano `workspace`. */
export function workspaceFor(pixanoWorkspace: string): WorkspaceModule {
  const all = modules();
  const w = all.get(pixanoWorkspace) ?? all.get(FALLBACK);
  if (!w) throw new Error(`no workspace module opens "${pixanoWorkspace}" and there is no "${FALLBACK}" module`);
  return w;
}

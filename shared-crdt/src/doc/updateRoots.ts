import * as Y from "yjs";
import { COMPONENT_TABLES } from "../schema/tables.js";
import { RECORD_MAP } from "./layout.js";

/** The root types a record document may have (SPEC D-LAYOUT): the record map and one map per component table. */
export const LAYOUT_ROOTS: ReadonlySet<string> = new Set([RECORD_MAP, ...COMPONENT_TABLES]);

/** What an update would write outside the record layout, found before it is applied. */
export interface LayoutBreach {
  /** The root type's name as the update names it. */
  readonly root: string;
  readonly message: string;
}

/**
 * Reads an update (v1 encoding) without applying it and lists the root types it writes to that are
 * not part of the layout (SPEC D-LAYOUT-ONLY), and list content written straight into a layout map
 * (a map's entries always carry a key). Yjs integrates an update as a whole and creates any root it
 * names, so a document cannot refuse these afterwards: the caller refuses the update instead.
 *
 * Only an item that opens a key (or a list) names its root; a later item on the same key points at
 * its predecessor, so refusing every opening item keeps everything after it out too (it can never
 * integrate). Throws what `Y.decodeUpdate` throws on a malformed update.
 */
export function layoutBreaches(update: Uint8Array): LayoutBreach[] {
  const out = new Map<string, LayoutBreach>();
  for (const struct of Y.decodeUpdate(update).structs) {
    if (!(struct instanceof Y.Item)) continue;
    const parent: unknown = struct.parent;
    if (typeof parent !== "string") continue;
    if (!LAYOUT_ROOTS.has(parent)) {
      if (!out.has(parent)) out.set(parent, { root: parent, message: "is not part of the record layout" });
    } else if (struct.parentSub === null && !out.has(parent)) {
      out.set(parent, { root: parent, message: "is a map: list content is not part of the record layout" });
    }
  }
  return [...out.values()];
}

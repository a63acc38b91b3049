import * as Y from "yjs";
import { COMPONENT_TABLES } from "../schema/tables.js";
import { RECORD_MAP } from "./layout.js";
import type { Origin } from "./origins.js";

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
 * (a map's entries always carry a key). Yjs integrates an update as a whole and relays and stores
 * what it integrated, so the caller must know before applying it (see {@link clearOutsideLayout}).
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

/**
 * Deletes, in one transaction tagged `origin`, everything outside the layout: the content of root
 * types that are not layout maps, and list content inside layout maps. With `gc` on, the document
 * keeps only tombstones (lengths, no content) of it. The roots themselves stay (a root type
 * cannot be removed), empty. Returns the roots that had content.
 */
export function clearOutsideLayout(doc: Y.Doc, origin: Origin): string[] {
  const cleared: string[] = [];
  doc.transact((tr) => {
    for (const [name, type] of doc.share) {
      const outside = !LAYOUT_ROOTS.has(name);
      let any = false;
      const drop = (item: Y.Item | null) => {
        if (item && !item.deleted) {
          item.delete(tr);
          any = true;
        }
      };
      for (let item = type._start; item !== null; item = item.right) drop(item);
      if (outside) for (const item of type._map.values()) drop(item);
      if (any) cleared.push(name);
    }
  }, origin);
  return cleared;
}

/**
 * Whether applying `update` to `doc` would leave part of it waiting for changes the document does
 * not have (a gap in a client's sequence, or a reference to an unknown item). Yjs keeps such
 * structs pending — unintegrated, so beyond {@link clearOutsideLayout}'s reach — and still serves
 * them in `encodeStateAsUpdate`; an update outside the layout that would wait is refused whole.
 */
export function wouldWait(doc: Y.Doc, update: Uint8Array): boolean {
  const { structs } = Y.decodeUpdate(update);
  const known = Y.decodeStateVector(Y.encodeStateVector(doc));
  const reach = new Map<number, number>();
  const ordered = [...structs].sort((a, b) => a.id.client - b.id.client || a.id.clock - b.id.clock);
  for (const s of ordered) {
    if (s instanceof Y.Skip) return true;
    const next = reach.get(s.id.client) ?? known.get(s.id.client) ?? 0;
    if (s.id.clock > next) return true;
    reach.set(s.id.client, Math.max(next, s.id.clock + s.length));
  }
  const has = (id: Y.ID | null) => id === null || id.clock < (reach.get(id.client) ?? known.get(id.client) ?? 0);
  for (const s of structs) {
    if (!(s instanceof Y.Item)) continue;
    const parent: unknown = s.parent;
    if (!has(s.origin) || !has(s.rightOrigin) || (parent instanceof Y.ID && !has(parent))) return true;
  }
  return false;
}

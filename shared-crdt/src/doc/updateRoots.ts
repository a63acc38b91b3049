import * as Y from "yjs";
import { COMPONENT_TABLES } from "../schema/tables.js";
import { RECORD_MAP } from "./layout.js";
import type { Origin } from "./origins.js";
import { scanUpdate, type ScannedStruct, type StructId } from "./updateScan.js";

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
 * its predecessor, so it lands where an item already integrated did (a root's content opened
 * outside the layout is cleared at once, so nothing of it is there to extend). Reads struct headers only (`scanUpdate`); throws `UpdateScanError` on a malformed update.
 */
export function layoutBreaches(update: Uint8Array): LayoutBreach[] {
  const out = new Map<string, LayoutBreach>();
  scanUpdate(update, (s) => {
    const root = s.parentKey;
    if (root === null || out.has(root)) return;
    if (!LAYOUT_ROOTS.has(root)) out.set(root, { root, message: "is not part of the record layout" });
    else if (s.parentSub === null)
      out.set(root, { root, message: "is a map: list content is not part of the record layout" });
  });
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
 * Whether everything live in `doc` is inside the record layout (SPEC D-LAYOUT-ONLY): no undeleted
 * item in a root outside it, no list content in a layout map, no struct kept pending. What
 * {@link clearOutsideLayout} would leave unchanged; read from the decoded document, not its bytes.
 */
export function holdsLayoutOnly(doc: Y.Doc): boolean {
  if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) return false;
  for (const [name, type] of doc.share) {
    for (let item = type._start; item !== null; item = item.right) if (!item.deleted) return false;
    if (!LAYOUT_ROOTS.has(name)) for (const item of type._map.values()) if (!item.deleted) return false;
  }
  return true;
}

/**
 * Whether applying `update` to `doc` would leave part of it waiting for changes the document does
 * not have (a gap in a client's sequence, or a reference to an unknown item). Yjs keeps such
 * structs pending — unintegrated, so beyond {@link clearOutsideLayout}'s reach — and still serves
 * them in `encodeStateAsUpdate`; an update outside the layout that would wait is refused whole.
 */
export function wouldWait(doc: Y.Doc, update: Uint8Array): boolean {
  const structs: ScannedStruct[] = [];
  scanUpdate(update, (s) => structs.push(s));
  const known = Y.decodeStateVector(Y.encodeStateVector(doc));
  const reach = new Map<number, number>();
  const ordered = [...structs].sort((a, b) => a.client - b.client || a.clock - b.clock);
  for (const s of ordered) {
    if (s.kind === "skip") return true;
    const next = reach.get(s.client) ?? known.get(s.client) ?? 0;
    if (s.clock > next) return true;
    reach.set(s.client, Math.max(next, s.clock + s.length));
  }
  const has = (id: StructId | null) => id === null || id.clock < (reach.get(id.client) ?? known.get(id.client) ?? 0);
  return structs.some((s) => s.kind === "item" && !(has(s.origin) && has(s.rightOrigin) && has(s.parentId)));
}

import * as Y from "yjs";
import { COMPONENT_TABLES, recordMap, tableMap } from "@tessera/shared-crdt";

/**
 * Per-user undo (UI.md: "Undo/redo only touch your own edits"): a `Y.UndoManager` over the record
 * fields and every component table that tracks only transactions carrying this tab's origin, so
 * Ctrl+Z never reverts what someone else did, even when it came later.
 */
export function createUndoManager(doc: Y.Doc, origin: unknown, captureTimeout = 300): Y.UndoManager {
  // Yjs types the scope as AbstractType<any>; the maps differ only in their value type.
  const scope = [recordMap(doc), ...COMPONENT_TABLES.map((t) => tableMap(doc, t))] as unknown as ConstructorParameters<
    typeof Y.UndoManager
  >[0];
  return new Y.UndoManager(scope, { trackedOrigins: new Set([origin]), captureTimeout });
}

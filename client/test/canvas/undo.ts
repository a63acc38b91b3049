import * as Y from "yjs";
import { COMPONENT_TABLES, recordMap, tableMap } from "@tessera/shared-crdt";

/** A per-user undo manager like the workspace's: tracks one origin over the record and every table. */
export function createUndo(doc: Y.Doc, origin: unknown): Y.UndoManager {
  const scope = [recordMap(doc), ...COMPONENT_TABLES.map((t) => tableMap(doc, t))] as unknown as ConstructorParameters<
    typeof Y.UndoManager
  >[0];
  return new Y.UndoManager(scope, { trackedOrigins: new Set([origin]), captureTimeout: 500 });
}

import * as Y from "yjs";
import type { DatasetHandle } from "@tessera/dataset";
import type { RecordKey, RecordLog, SnapshotStore } from "@tessera/dataset/state";
import {
  applyRowsToDoc,
  COMPONENT_TABLES,
  PERSISTENCE_ORIGIN,
  recordDocGuid,
  serverOrigin,
  transact,
  type RecordRows,
} from "@tessera/shared-crdt";
import type { DocLoader } from "./ports.js";

const PAGE = 1000;

async function recordRows(dataset: DatasetHandle, recordId: string): Promise<RecordRows> {
  const record = await dataset.get("records", recordId);
  if (!record) throw new Error(`record ${recordId} not found`);
  const present = new Set(await dataset.tables());
  const tables: RecordRows["tables"] = {};
  for (const table of COMPONENT_TABLES) {
    if (!present.has(table)) continue;
    const rows = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await dataset.query(table, { where: { record_id: recordId }, limit: PAGE, offset });
      rows.push(...page.items);
      if (page.items.length < PAGE) break;
    }
    if (rows.length > 0) tables[table] = rows;
  }
  return { record, tables };
}

/**
 * Provisional record loader until `loadRecordDoc` lands in `@tessera/dataset/state`: the snapshot
 * plus the log tail, or — for a record never opened — its rows, saved at once as the first
 * snapshot so the next load starts from it.
 */
export function recordDocLoader(deps: { log: RecordLog; snapshots: SnapshotStore }): DocLoader {
  return async (dataset: DatasetHandle, key: RecordKey) => {
    const doc = new Y.Doc({ guid: recordDocGuid(key.datasetId, key.recordId), gc: true });
    const snapshot = await deps.snapshots.load(key);
    if (snapshot) {
      Y.applyUpdate(doc, snapshot.state, PERSISTENCE_ORIGIN);
      const tail = await deps.log.read(key, snapshot.foldedUpTo);
      doc.transact(() => {
        for (const e of tail) Y.applyUpdate(doc, e.update, PERSISTENCE_ORIGIN);
      }, PERSISTENCE_ORIGIN);
      return { doc, replayed: tail.length };
    }
    const rows = await recordRows(dataset, key.recordId);
    transact(doc, serverOrigin("load"), () => applyRowsToDoc(doc, rows));
    const tail = await deps.log.read(key);
    doc.transact(() => {
      for (const e of tail) Y.applyUpdate(doc, e.update, PERSISTENCE_ORIGIN);
    }, PERSISTENCE_ORIGIN);
    await deps.snapshots.save(key, {
      state: Y.encodeStateAsUpdate(doc),
      foldedUpTo: tail.at(-1)?.pos ?? 0,
      rowsDigest: "",
      savedAt: new Date().toISOString(),
    });
    return { doc, replayed: 0 };
  };
}

import path from "node:path";
import * as Y from "yjs";
import { Library } from "@tessera/dataset";
import { encodeId, FileRecordLog, FileSnapshotStore, loadRecordDoc, walDir } from "@tessera/storage";
import { clientOrigin, createEntity, withCustom } from "@tessera/shared-crdt";
import { DS } from "../integration/support.js";

/**
 * What a crash leaves behind, made with the server's own components: for each record the document
 * is loaded as the server loads it (snapshot saved), then edits are appended to its write-ahead log
 * and never folded into rows. Each edit comes from its own Yjs client (as edits of several users
 * do), so losing one entry does not make the others depend on it.
 */
export async function writeUnflushedEdits(
  dataDir: string,
  records: readonly string[],
  perRecord: number,
  datasetId: string = DS,
): Promise<Map<string, { entities: string[]; state: Uint8Array }>> {
  const library = new Library(dataDir);
  await library.init();
  const dataset = await library.open(datasetId);
  const log = new FileRecordLog({ dataDir });
  const snapshots = new FileSnapshotStore({ dataDir });
  const out = new Map<string, { entities: string[]; state: Uint8Array }>();
  try {
    for (const recordId of records) {
      const key = { datasetId, recordId };
      const loaded = await loadRecordDoc({ dataset, log, snapshots, key, clock: { now: () => Date.now() } });
      const entities: string[] = [];
      for (let i = 0; i < perRecord; i++) {
        const editor = new Y.Doc();
        Y.applyUpdate(editor, Y.encodeStateAsUpdate(loaded.doc));
        let update: Uint8Array | null = null;
        editor.on("update", (u: Uint8Array) => (update = u));
        // The test dataset of `integration/support.ts` gets an entity with a box; another dataset a bare entity.
        const input =
          datasetId === DS
            ? {
                entity: withCustom({}, { category: `c${i}` }),
                annotation: { table: "bboxes" as const, row: { coords: [0.01 * i, 0.2, 0.05, 0.05] } },
              }
            : {};
        const { entityId } = createEntity(
          { doc: editor, schema: dataset.schema, recordId, newId: () => `${recordId}-e${i}` },
          clientOrigin(String(editor.clientID)),
          input,
        );
        if (!update) throw new Error("the edit produced no update");
        Y.applyUpdate(loaded.doc, update);
        await log.append(key, update);
        entities.push(entityId);
        editor.destroy();
      }
      out.set(recordId, { entities, state: Y.encodeStateAsUpdate(loaded.doc) });
      loaded.doc.destroy();
    }
  } finally {
    await log.close();
    await library.close();
  }
  return out;
}

/** The log file of a record of {@link DS}. */
export function logFileOf(dataDir: string, recordId: string): string {
  return path.join(walDir(dataDir), encodeId(DS), `${encodeId(recordId)}.wal`);
}

/** Byte ranges of the entries of a v1 log file (header: 24 bytes + key; entry: 16 bytes + update). */
export function entryRanges(bytes: Buffer): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let offset = 24 + bytes.readUInt32LE(16);
  while (offset + 16 <= bytes.length) {
    const end = offset + 16 + bytes.readUInt32LE(offset);
    out.push({ start: offset, end });
    offset = end;
  }
  return out;
}

import type { Dataset } from "@tessera/dataset";
import { PERSISTENCE_ORIGIN, randomId, rowsOfDoc, type DatasetInfo, type DocContext } from "@tessera/shared-crdt";
import { canonicalRows, readRecordRows, type LoadedRecord, type RecordKey, type RecordLog } from "../../src/index.js";

/**
 * What the persist test worlds share (storage's batch world and server side, the workers' group
 * world and probe): the dataset they declare, an edit applied the way a record room applies it,
 * and the check that LanceDB holds exactly a document's rows.
 */

/**
 * An image dataset: `Obj` entities with a `category`, bboxes and one `image` view. `extra` adds
 * tables (a `relation`) or replaces a field (the description).
 */
export function boxesDatasetInfo(id: string, name: string, extra: Partial<DatasetInfo> = {}): DatasetInfo {
  return {
    id,
    name,
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "image",
    storage_mode: "embedded",
    record: { base: "Record", fields: {} },
    entity: {
      base: "Entity",
      name: "Obj",
      fields: { category: { collection: false, type: "str", required: false, default: "" } },
    },
    bbox: { base: "BBox", fields: {} },
    ...extra,
    views: { image: { base: "Image", fields: {} } },
  };
}

/** Applies `fn` to a loaded record as a room would (every update appended to `log`) and waits for the appends. */
export async function editAsRoom(
  loaded: LoadedRecord,
  log: Pick<RecordLog, "append">,
  dataset: Dataset,
  key: RecordKey,
  fn: (ctx: DocContext) => void,
): Promise<LoadedRecord> {
  const appends: Array<Promise<number>> = [];
  const onUpdate = (u: Uint8Array, origin: unknown) => {
    if (origin !== PERSISTENCE_ORIGIN) appends.push(log.append(key, u));
  };
  loaded.doc.on("update", onUpdate);
  fn({ doc: loaded.doc, schema: dataset.schema, recordId: key.recordId, newId: randomId });
  loaded.doc.off("update", onUpdate);
  await Promise.all(appends);
  return loaded;
}

/** Whether LanceDB holds exactly the document's rows for this record. */
export async function rowsMatchDoc(dataset: Dataset, key: RecordKey, loaded: LoadedRecord): Promise<boolean> {
  return canonicalRows(await readRecordRows(dataset, key.recordId)) === canonicalRows(rowsOfDoc(loaded.doc));
}

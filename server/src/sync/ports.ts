import type * as Y from "yjs";
import type { DatasetHandle } from "@tessera/dataset";
import type { RecordKey } from "@tessera/storage";
import type { Persister } from "../persist/index.js";

/**
 * What the sync endpoint needs from its neighbours, stated narrowly so each can be replaced (the
 * file log by Redis, the in-process persister by a worker) without touching the rooms.
 */

/** The dataset library: opens a dataset by `info.json` id (null when unknown). `LibraryPort` fits. */
export interface SyncLibrary {
  open(datasetId: string): Promise<DatasetHandle | null>;
}

/** A record document as loaded (snapshot + log tail, or rows + an immediate snapshot). */
interface LoadedDoc {
  readonly doc: Y.Doc;
  /** The log holds entries the snapshot lacks (a crash or an unflushed unload left them, or an external change was merged): flush soon. */
  readonly unflushed: boolean;
  /** `Y.encodeStateAsUpdate(doc)` when the loader holds it already (a snapshot with nothing applied on top). */
  readonly fullState?: Uint8Array;
}

/** What a loader may tell before it finishes. */
export interface LoadHooks {
  /** The document's whole state as bytes, known before it is decoded (see `loadRecordDoc`'s `onFullState`). */
  readonly onFullState?: (state: Uint8Array) => void;
}

export type DocLoader = (dataset: DatasetHandle, key: RecordKey, hooks?: LoadHooks) => Promise<LoadedDoc>;

/** What a room needs of the persister (`InProcessPersister`, `ChildProcessPersister`): flush, then the room trims. */
export type SyncPersister = Pick<Persister, "flush">;

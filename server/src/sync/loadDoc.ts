import type { DatasetHandle } from "@tessera/dataset";
import { loadRecordDoc, type RecordKey, type RecordLog, type SnapshotStore, type StateClock } from "@tessera/storage";
import type { DocLoader, LoadHooks } from "./ports.js";

/**
 * The default loader: `loadRecordDoc` (the snapshot plus the log, with rows changed behind our
 * back merged and logged; or, for a record never opened, its rows saved at once as the first
 * snapshot). A document whose log holds entries past the snapshot is flushed soon after.
 */
export function recordDocLoader(deps: { log: RecordLog; snapshots: SnapshotStore; clock: StateClock }): DocLoader {
  return async (dataset: DatasetHandle, key: RecordKey, hooks?: LoadHooks) => {
    const loaded = await loadRecordDoc({
      dataset,
      log: deps.log,
      snapshots: deps.snapshots,
      key,
      clock: deps.clock,
      ...(hooks?.onFullState ? { onFullState: hooks.onFullState } : {}),
    });
    return {
      doc: loaded.doc,
      unflushed: loaded.logHead > loaded.foldedUpTo,
      ...(loaded.fullState ? { fullState: loaded.fullState } : {}),
    };
  };
}

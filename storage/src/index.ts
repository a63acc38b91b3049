export type { LogEntry, LogPosition, RecordKey, RecordLog, RecordSnapshot, SnapshotStore } from "./types.js";
export {
  RecordLogError,
  RecordStateError,
  SnapshotError,
  type RecordLogErrorReason,
  type RecordStateErrorReason,
  type SnapshotErrorReason,
} from "./errors.js";
export { FileRecordLog, walDir, type FileRecordLogOptions, type FileRecordLogStats } from "./FileRecordLog.js";
export { FileSnapshotStore, snapshotDir, type FileSnapshotStoreOptions } from "./FileSnapshotStore.js";
export { decodeId, encodeId, type SyncFn, type SyncKind } from "./stateFiles.js";
export { rowsDigest, canonicalRows } from "./rowsDigest.js";
export { readRecordRows } from "./readRecordRows.js";
export { rowsUnmovedSince, type TableVersions } from "./lanceVersions.js";
export { mergeExternalRows, type ExternalMerge } from "./mergeExternalRows.js";
export {
  applyLogEntries,
  loadRecordDoc,
  newRecordDoc,
  type LoadedRecord,
  type LoadRecordOptions,
  type StateClock,
} from "./loadRecordDoc.js";
export { planPersist, type PersistPlan, type TablePlan } from "./persistPlan.js";
export { rowOwners, withoutForeignRowsInBatch, type PlannedRecord } from "./rowOwners.js";
export { rowOwnersBatched, type OwnerQuery } from "./rowOwnersBatched.js";
export { persistRecord, type PersistOptions } from "./persistRecord.js";
export {
  persistBatch,
  type PersistBatchOptions,
  type PersistOutcome,
  type PersistResult,
  type PersistStep,
} from "./persistBatch.js";
export { readBatchRows } from "./readBatchRows.js";
export {
  DEFAULT_MAX_BATCH,
  PersistQueue,
  type DatasetOpener,
  type MaintenancePolicy,
  type PersistQueueOptions,
} from "./PersistQueue.js";
export { pendingLogs, recordUpdateFromRows, type InspectOptions } from "./inspect.js";
export { parseRecordTag, recordTag, redisKeys, type RedisKeys } from "./redis/keys.js";
export { clusterSecret, connectRedis } from "./redis/connect.js";
export { ProcessRegistry, type ProcessInfo, type ProcessRegistryOptions } from "./redis/ProcessRegistry.js";
export { RecordLeases, type AcquireResult, type Lease } from "./redis/RecordLeases.js";
export { RedisRecordLog, type RedisRecordLogOptions } from "./redis/RedisRecordLog.js";

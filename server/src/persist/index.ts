export type { FlushResult, Persister } from "./types.js";
export { PersistError } from "./PersistError.js";
export { InProcessPersister } from "./InProcessPersister.js";
export { ChildProcessPersister, type ChildProcessPersisterOptions } from "./ChildProcessPersister.js";
export { RedisPersister, type RedisPersisterOptions } from "./RedisPersister.js";
export { GroupPersistWorkerProcess, type GroupPersistWorkerProcessOptions } from "./GroupPersistWorkerProcess.js";
export {
  DEFAULT_PERSIST_WORKERS,
  persistWorkersFrom,
  startScaledPersist,
  type ScaledPersist,
  type ScaledPersistOptions,
} from "./scaledPersist.js";

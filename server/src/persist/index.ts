export type { FlushResult, Persister } from "./types.js";
export { PersistError, type PersistErrorReason } from "./PersistError.js";
export { InProcessPersister, type InProcessPersisterOptions } from "./InProcessPersister.js";
export {
  ChildProcessPersister,
  PERSIST_WORKER_ENTRY,
  type ChildProcessPersisterOptions,
} from "./ChildProcessPersister.js";

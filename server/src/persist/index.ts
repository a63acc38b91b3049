export type { FlushResult, Persister } from "./types.js";
export { PersistError } from "./PersistError.js";
export { InProcessPersister } from "./InProcessPersister.js";
export { ChildProcessPersister, type ChildProcessPersisterOptions } from "./ChildProcessPersister.js";

export { attachSync, type SyncDeps, type SyncEndpoint } from "./attachSync.js";
export { RoomEditError, RoomError, WorkflowError } from "./errors.js";
export { colorOf, USER_PALETTE, type Identity } from "./identity.js";
export { DEFAULT_LIMITS } from "./limits.js";
export { type Clock, type TimerHandle } from "./clock.js";

export { attachSync, type SyncDeps, type SyncEndpoint } from "./attachSync.js";
export { RoomManager } from "./RoomManager.js";
export type { RecordRoom } from "./RecordRoom.js";
export { RoomEditError, RoomError, WorkflowError, type RoomErrorReason } from "./errors.js";
export {
  awarenessUserOf,
  colorOf,
  defaultIdentify,
  guestIdentity,
  isRefusal,
  USER_PALETTE,
  type AwarenessUser,
  type Identify,
  type Identity,
  type Refusal,
} from "./identity.js";
export { DEFAULT_LIMITS, type SyncLimits } from "./limits.js";
export { SYNC_LIMIT_ENV, syncLimitsFromEnv, SyncLimitsEnvError } from "./limitsEnv.js";
export { systemClock, type Clock, type TimerHandle } from "./clock.js";
export type { DocLoader, LoadedDoc, SyncLibrary, SyncPersister } from "./ports.js";
export type { RoomSocket } from "./socket.js";
export type { EditEvent, FlushedEvent, PresenceEvent, RoomEventName, RoomEvents, StatusEvent } from "./roomEvents.js";
export { parseSyncRoute, SYNC_PREFIX } from "./upgrade.js";

import type { LiveJob } from "@tessera/shared-crdt";
import type { Server } from "node:http";
import { FileRecordLog, FileSnapshotStore, type RecordLog } from "@tessera/storage";
import type * as Y from "yjs";
import { guestIdentity, isRefusal, type Identify } from "./sync/identity.js";
import { RoomError, WorkflowError } from "./sync/errors.js";
import type { RecordDocsPort, RestIdentity } from "./http/recordDocs.js";
import type { LiveReadPort } from "./http/routes/collab.js";
import type { LibraryPort } from "./library/port.js";
import { ActivityLog, activityClockOf } from "./live/ActivityLog.js";
import { LiveHub, type LiveIdentify } from "./live/LiveHub.js";
import { liveRoomsPort } from "./live/roomsAdapter.js";
import { reviewedWorkflow } from "./review/reviewedWorkflow.js";
import { ReviewStore } from "./review/ReviewStore.js";
import { AssignStore } from "./assign/AssignStore.js";
import { AssignEnforcer } from "./assign/enforce.js";
import type { Logger } from "./logger.js";
import { ChildProcessPersister, InProcessPersister, PersistError, type Persister } from "./persist/index.js";
import { attachSync } from "./sync/attachSync.js";
import { writeRecords } from "./sync/writeRecords.js";
import { systemClock, type Clock } from "./sync/clock.js";
import { defaultIdentify } from "./sync/identity.js";
import {
  canEditRecord,
  patchRecord,
  readRecordCell,
  restOrigin,
  setStatus,
  userColor,
  type LiveUser,
} from "@tessera/shared-crdt";
import { resolveLimits, type SyncLimits } from "./sync/limits.js";
import type { ScaledMode } from "./cluster/ScaledMode.js";
import type { RoomManager } from "./sync/RoomManager.js";
import path from "node:path";
import type { LiveCluster } from "./cluster/live/LiveCluster.js";
import { activityAppendLock, clusterLiveChannel } from "./cluster/live/liveChannel.js";

export interface CollaborationOptions {
  readonly dataDir: string;
  readonly library: LibraryPort;
  readonly logger: Logger;
  /** `child` (default): the persist worker runs as its own process; `in-process` folds in this one. */
  readonly persist?: "child" | "in-process";
  /** Who a sync connection is (`AuthService.identifySync`); the default reads `?name=&role=`. */
  readonly identify?: Identify;
  /** Who a live-channel connection is (`AuthService.identifyLive`); the default reads the handshake's name and role. */
  readonly liveIdentify?: LiveIdentify;
  /** Tells when a user's rights changed or their session ended: their live connections are cut. */
  readonly onRevoke?: (fn: (userId: string) => void) => () => void;
  /** Bounds of the sync endpoint (defaults: `DEFAULT_LIMITS`); composition roots read them from `TESSERA_WS_*`. */
  readonly syncLimits?: Partial<SyncLimits>;
  /**
   * When the child persist worker starts (default `on-demand`: at the first flush). `with-server`
   * starts it now, at a lower CPU priority than the server, so the first edit does not wait for it.
   */
  readonly persistWorkerStart?: "with-server" | "on-demand";
  /**
   * The one clock of everything live (default: the wall clock): flush debounce and room unload, keep-alive and
   * pings, awareness coalescing, the persister's timeouts and restarts, activity batches, presence and status
   * stamps. A test that owns it drives all of them.
   */
  readonly clock?: Clock;
  /** The scaled mode's people side: the live channel across processes, shared review/assignment/activity files. */
  readonly liveCluster?: LiveCluster | null;
  /**
   * The scaled mode (docs/ARCHITECTURE.md §6): the record log is the Redis one, rooms load under the record's
   * lease and upgrades for records owned elsewhere are forwarded; no start-up recovery (the workers fold what a
   * dead process left). Absent: one process, file log.
   */
  readonly scaled?: ScaledMode;
}

export interface Collaboration {
  readonly docs: RecordDocsPort;
  readonly live: LiveReadPort;
  /** Review threads and who submitted / reviewed each record (SPEC RV). */
  readonly review: ReviewStore;
  /** Assignments (SPEC AS). */
  readonly assign: AssignStore;
  /** Room events (loaded, flushed, unloaded, …) for observers: tests wait on them instead of polling. */
  readonly onRoom: RoomManager["on"];
  /** Record rooms loaded or loading now (`/health` reports it: rooms unload once everyone left). */
  roomsLoaded(): number;
  /** Tells everyone on a job's dataset its new state (live `job:progress`). */
  jobChanged(job: LiveJob): void;
  /** Start-up recovery: folds the logs a crash left behind. */
  recover(options?: { onPending?: (records: number) => void }): Promise<{ flushed: number; failed: number }>;
  close(): Promise<void>;
}

/**
 * Live records on one HTTP server (docs/ARCHITECTURE.md §3–§4): the write-ahead log and snapshots under
 * `DATA_DIR/.tessera`, the persist worker, the y-websocket sync endpoint with its record rooms,
 * the socket.io live channel and the activity feed — and the ports the REST layer writes through.
 */
export function startCollaboration(server: Server, options: CollaborationOptions): Collaboration {
  const { dataDir, library, logger } = options;
  const clock = options.clock ?? systemClock;
  // Repaired logs (damaged bytes set aside at start-up) and other log warnings go to the server log.
  const scaled = options.scaled ?? null;
  const log: RecordLog =
    scaled?.log ?? new FileRecordLog({ dataDir, onWarning: (m) => logger.warn("record log", { detail: m }) });
  const snapshots = new FileSnapshotStore({ dataDir });
  // Scaled mode: folds are jobs on the cluster's stream, taken by the persist workers' consumer group.
  const persister: Persister = scaled
    ? scaled.startPersist(dataDir)
    : options.persist === "in-process"
      ? new InProcessPersister({ datasets: library, log, snapshots, clock })
      : new ChildProcessPersister({ dataDir, logger, clock });
  if (persister instanceof ChildProcessPersister && options.persistWorkerStart === "with-server")
    persister.whenReady().catch((err: unknown) => {
      // A server stopped while its worker was starting: nothing went wrong.
      if (err instanceof PersistError && err.reason === "closed") return;
      // Not fatal: the first flush starts it again (and fails, with the reason, if it still cannot start).
      logger.error("the persist worker did not start with the server", { error: String(err) });
    });
  // Assignments (SPEC AS6): the lock decides who may write a record, at the sync endpoint and for every write.
  const liveCluster = options.liveCluster ?? null;
  const shared = liveCluster !== null;
  const assign = AssignStore.in(dataDir, { clock, shared });
  const enforcer = new AssignEnforcer(assign, logger);
  const sync = attachSync(server, {
    library,
    log,
    snapshots,
    persister,
    identify: enforcer.identify(options.identify ?? defaultIdentify),
    logger,
    clock,
    ...(options.syncLimits ? { limits: options.syncLimits } : {}),
    ...(scaled ? { cluster: scaled.syncCluster(resolveLimits(options.syncLimits), enforcer.marks) } : {}),
  });
  const rooms = sync.rooms;
  scaled?.bindRooms(rooms);
  const stopAssign = enforcer.follow(rooms);
  rooms.on("flushed", (e) => library.touched(e.datasetId));

  const activity = new ActivityLog(path.join(dataDir, ".tessera", "activity"), {
    onError: (msg, err) => logger.error(msg, { error: String(err) }),
    clock: activityClockOf(clock),
    shared,
    ...(liveCluster ? { appendLock: activityAppendLock(liveCluster, logger) } : {}),
  });
  // Review threads and workflow stamps (SPEC RV): a rejection's reason opens a thread, the record's `comment` stays.
  const review = ReviewStore.in(dataDir, { clock, shared });
  const reviewed = reviewedWorkflow(review, (msg, err) => logger.error(msg, { error: String(err) }));
  const basePort = liveRoomsPort(rooms, clock);
  const roomsPort: typeof basePort = {
    ...basePort,
    applyWorkflow: async (datasetId, recordId, action, user, comment, pin) => {
      await enforcer.check(datasetId, recordId, user);
      return reviewed(datasetId, recordId, action, user, comment, pin ?? null, () =>
        basePort.applyWorkflow(datasetId, recordId, action, user, comment),
      );
    },
  };
  const stopStamps = roomsPort.onStatus((change) =>
    review.recordStatus(change, (err) =>
      logger.error("review: cannot keep who submitted or reviewed", { record: change.recordId, error: String(err) }),
    ),
  );
  const hub = new LiveHub(server, {
    rooms: roomsPort,
    activity,
    review,
    assign,
    recordExists: async (datasetId, recordId) =>
      (await (await library.open(datasetId))?.get("records", recordId, ["id"])) != null,
    clock,
    datasetExists: async (id) => (await library.open(id)) !== null,
    ...(liveCluster ? { cluster: clusterLiveChannel(liveCluster, logger) } : {}),
    identify: async (req, auth) => {
      const user = options.liveIdentify ? await options.liveIdentify(req, auth) : guestLiveUser(auth);
      if (user && typeof auth.datasetId === "string") roomsPort.remember(user, auth.datasetId);
      return user;
    },
  });
  const stopRevoke = options.onRevoke?.((userId) => hub.disconnectUser(userId));

  // W5 for REST as for live editors: the record's status decides whether this role may edit it.
  const guarded = (who: RestIdentity, fn: (doc: Y.Doc) => void) => (doc: Y.Doc) => {
    const status = readRecordCell(doc, "status");
    const current = typeof status === "string" ? status : "new";
    if (!canEditRecord(current, who.role))
      throw new WorkflowError("forbidden", `a ${who.role} may not edit a ${current} record`);
    fn(doc);
  };
  const remember = (who: RestIdentity, datasetId: string) =>
    roomsPort.remember({ id: who.id, name: who.name, role: who.role, color: userColor(who.id) }, datasetId);
  const docs: RecordDocsPort = {
    edit: async (datasetId, recordId, who, fn, options) => {
      await enforcer.check(datasetId, recordId, who);
      remember(who, datasetId);
      await rooms.withRecord(datasetId, recordId, restOrigin(who.id), guarded(who, fn), {
        flush: options?.fold ?? true,
      });
    },
    editMany: async (datasetId, who, writes, options) => {
      await Promise.all(writes.map((w) => enforcer.check(datasetId, w.recordId, who)));
      remember(who, datasetId);
      return writeRecords(
        rooms,
        datasetId,
        writes.map((w) => ({ recordId: w.recordId, fn: guarded(who, w.fn) })),
        restOrigin(who.id),
        {
          flush: options?.fold ?? false,
          ...(options?.beforeEach ? { beforeEach: options.beforeEach } : {}),
          ...(options?.afterEach ? { afterEach: options.afterEach } : {}),
        },
      );
    },
    fold: async (datasetId, recordIds) => {
      if (!(await rooms.flushLoaded(datasetId, recordIds)))
        throw new RoomError("closing", "the records could not be folded; their logs keep the changes");
    },
    workflow: async (datasetId, recordId, action, who, comment, pin) => {
      await enforcer.check(datasetId, recordId, who);
      remember(who, datasetId);
      return reviewed(datasetId, recordId, action, who, comment, pin ?? null, () =>
        rooms.applyWorkflow(datasetId, recordId, action, { ...who, tessera: false }, comment, { flush: true }),
      );
    },
    updateRecord: async (datasetId, recordId, who, fields, status, comment) => {
      await enforcer.check(datasetId, recordId, who);
      remember(who, datasetId);
      const decide = (from: string) =>
        status === undefined || status === from ? null : setStatus(from, status, who.role, comment);
      const edit =
        Object.keys(fields).length > 0
          ? { origin: restOrigin(who.id), fn: guarded(who, (doc) => patchRecord(doc, fields)) }
          : undefined;
      await rooms.changeStatus(datasetId, recordId, decide, { ...who, tessera: false }, comment, {
        flush: true,
        ...(edit ? { edit } : {}),
      });
      // Who submitted / reviewed (SPEC RV6) is on disk before the answer, as for the workflow route.
      await review.settled(datasetId);
    },
    deleteRecords: (datasetId, recordIds, deleteRows) => rooms.deleteRecords(datasetId, recordIds, deleteRows),
  };
  const live: LiveReadPort = {
    activity: (datasetId, o) => activity.list(datasetId, o),
    presence: (datasetId) => hub.presence(datasetId),
  };
  return {
    docs,
    live,
    review,
    assign,
    onRoom: (event, listener) => rooms.on(event, listener),
    roomsLoaded: () => rooms.size,
    jobChanged: (job) => hub.jobChanged(job),
    // Scaled mode: nothing to recover here; the persist workers fold the streams a dead process left.
    recover: (o) => (scaled ? Promise.resolve({ flushed: 0, failed: 0 }) : rooms.flushPending(o)),
    async close() {
      stopRevoke?.();
      stopStamps();
      stopAssign();
      await hub.close();
      await sync.close();
      await (scaled ? scaled.closePersist() : persister.close());
      await log.close();
    },
  };
}

/** The live channel's identity without accounts: the handshake's claimed name and role. */
function guestLiveUser(auth: Record<string, unknown>): LiveUser | null {
  const who = guestIdentity(
    typeof auth.name === "string" ? auth.name : null,
    typeof auth.role === "string" ? auth.role : null,
  );
  if (isRefusal(who)) return null;
  return { id: who.id, name: who.name, role: who.role, color: userColor(who.id) };
}

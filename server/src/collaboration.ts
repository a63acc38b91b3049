import type { Server } from "node:http";
import { FileRecordLog, FileSnapshotStore } from "@tessera/dataset/state";
import { guestIdentity, isRefusal, type Identify } from "./sync/identity.js";
import type { RecordDocsPort } from "./http/recordDocs.js";
import type { LiveReadPort } from "./http/routes/collab.js";
import type { LibraryPort } from "./library/port.js";
import { ActivityLog } from "./live/ActivityLog.js";
import { LiveHub } from "./live/LiveHub.js";
import { liveRoomsPort } from "./live/roomsAdapter.js";
import type { Logger } from "./logger.js";
import { ChildProcessPersister, InProcessPersister, type Persister } from "./persist/index.js";
import { attachSync } from "./sync/attachSync.js";
import { defaultIdentify } from "./sync/identity.js";
import { restOrigin, userColor } from "@tessera/shared-crdt";
import path from "node:path";

export interface CollaborationOptions {
  readonly dataDir: string;
  readonly library: LibraryPort;
  readonly logger: Logger;
  /** `child` (default): the persist worker runs as its own process; `in-process` folds in this one. */
  readonly persist?: "child" | "in-process";
  /** Who a sync connection is (accounts plug in here). */
  readonly identify?: Identify;
}

export interface Collaboration {
  readonly docs: RecordDocsPort;
  readonly live: LiveReadPort;
  /** Start-up recovery: folds the logs a crash left behind. */
  recover(): Promise<{ flushed: number; failed: number }>;
  close(): Promise<void>;
}

/**
 * Live records on one HTTP server (ARCHITECTURE §3–§4): the write-ahead log and snapshots under
 * `DATA_DIR/.tessera`, the persist worker, the y-websocket sync endpoint with its record rooms,
 * the socket.io live channel and the activity feed — and the ports the REST layer writes through.
 */
export function startCollaboration(server: Server, options: CollaborationOptions): Collaboration {
  const { dataDir, library, logger } = options;
  const log = new FileRecordLog({ dataDir });
  const snapshots = new FileSnapshotStore({ dataDir });
  const persister: Persister =
    options.persist === "in-process"
      ? new InProcessPersister({ datasets: library, log, snapshots })
      : new ChildProcessPersister({ dataDir, logger });
  const sync = attachSync(server, { library, log, snapshots, persister, identify: options.identify ?? defaultIdentify, logger });
  const rooms = sync.rooms;
  rooms.on("flushed", (e) => library.touched(e.datasetId));

  const activity = new ActivityLog(path.join(dataDir, ".tessera", "activity"), {
    onError: (msg, err) => logger.error(msg, { error: String(err) }),
  });
  const roomsPort = liveRoomsPort(rooms);
  const hub = new LiveHub(server, {
    rooms: roomsPort,
    activity,
    datasetExists: async (id) => (await library.open(id)) !== null,
    identify: (_req, auth) => {
      const who = guestIdentity(typeof auth.name === "string" ? auth.name : null, typeof auth.role === "string" ? auth.role : null);
      if (isRefusal(who)) return Promise.resolve(null);
      const user = { id: who.id, name: who.name, role: who.role, color: userColor(who.id) };
      roomsPort.remember(user);
      return Promise.resolve(user);
    },
  });

  const docs: RecordDocsPort = {
    edit: async (datasetId, recordId, who, fn) => {
      roomsPort.remember({ id: who.id, name: who.name, role: who.role, color: userColor(who.id) });
      await rooms.withRecord(datasetId, recordId, restOrigin(who.id), fn, { flush: true });
    },
    workflow: async (datasetId, recordId, action, who, comment) => {
      roomsPort.remember({ id: who.id, name: who.name, role: who.role, color: userColor(who.id) });
      return rooms.applyWorkflow(datasetId, recordId, action, { ...who, tessera: false }, comment, { flush: true });
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
    recover: () => rooms.flushPending(),
    async close() {
      await hub.close();
      await sync.close();
      await persister.close();
      await log.close();
    },
  };
}

import { createAdapter } from "@socket.io/redis-adapter";
import type { ServerOptions } from "socket.io";
import type { Logger } from "../../logger.js";
import type { LiveConnectionCounts, PresenceBook } from "../../live/LiveHub.js";
import { ClusterLiveConnections } from "./ClusterLiveConnections.js";
import { ClusterPresence } from "./ClusterPresence.js";
import type { LiveCluster } from "./LiveCluster.js";
import { RedisAppendLock } from "./RedisAppendLock.js";

/**
 * The live channel of the scaled mode (SPEC L-CLUSTER): socket.io's Redis adapter carries every emit to a dataset's
 * room (presence, follow, status changes, activity, review threads, assignments, job progress) to
 * the people connected to the other processes, and the presence a connection is greeted with is
 * the whole cluster's. The connections per user are counted over the whole cluster too.
 */
export function clusterLiveChannel(
  cluster: LiveCluster,
  logger: Logger,
): {
  readonly adapter: NonNullable<ServerOptions["adapter"]>;
  readonly presence: PresenceBook;
  readonly connections: LiveConnectionCounts;
} {
  const adapter = createAdapter(cluster.adapterPub, cluster.adapterSub, {
    key: cluster.keys.socketIo,
    // A request to the other processes (none made by Tessera today) waits at most this long.
    requestsTimeout: 3000,
    publishOnSpecificResponseChannel: true,
  }) as NonNullable<ServerOptions["adapter"]>;
  const presence = new ClusterPresence(cluster, (err) =>
    logger.warn("live presence not written to Redis", { error: err instanceof Error ? err.message : String(err) }),
  );
  const connections = new ClusterLiveConnections(cluster, (err) =>
    logger.warn("live connection counts not updated in Redis", {
      error: err instanceof Error ? err.message : String(err),
    }),
  );
  return { adapter, presence, connections };
}

/** The activity feed's appends of the scaled mode, one process at a time per dataset file (`RedisAppendLock`). */
export function activityAppendLock(
  cluster: LiveCluster,
  logger: Logger,
): (fileName: string, write: () => Promise<void>) => Promise<void> {
  const lock = new RedisAppendLock(cluster, (err) =>
    logger.warn("activity append lock: Redis failed (an append then goes without the lock; a held one expires)", {
      error: err instanceof Error ? err.message : String(err),
    }),
  );
  return (fileName, write) => lock.run(`activity/${fileName}`, write);
}

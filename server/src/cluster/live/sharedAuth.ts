import type { SharedAuth } from "../../auth/shared.js";
import type { Logger } from "../../logger.js";
import { ClusterConnections } from "./ClusterConnections.js";
import { ClusterLoginCounters } from "./ClusterLoginCounters.js";
import type { LiveCluster } from "./LiveCluster.js";
import { RedisSessionStore } from "./RedisSessions.js";

/** The accounts of the scaled mode over one process's {@link LiveCluster} (sessions, counts, bus). */
export function sharedAuth(cluster: LiveCluster, dataDir: string, logger: Logger): SharedAuth {
  return {
    sessions: (times, now, onWriteError) => new RedisSessionStore(cluster, dataDir, times, now, onWriteError),
    connections: new ClusterConnections(cluster, (err) =>
      logger.warn("websocket counts not updated in Redis", { error: err instanceof Error ? err.message : String(err) }),
    ),
    login: new ClusterLoginCounters(cluster),
    publish: (event) => cluster.publish(event),
    onEvent: (fn) => cluster.onEvent(fn),
  };
}

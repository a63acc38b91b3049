import type { LiveConnectionCounts } from "../../live/LiveHub.js";
import type { LiveCluster } from "./LiveCluster.js";
import { ProcessCounts } from "./ProcessCounts.js";

/**
 * The live channel's connections per user (32 by default) counted over every web process of the
 * scaled mode: each process's contribution in `tessera:live:conns:<processId>` (user id → open
 * connections), summed over the processes still beating at each handshake ({@link ProcessCounts}),
 * so a SIGKILLed process's connections stop counting once its heartbeat expired.
 */
export class ClusterLiveConnections implements LiveConnectionCounts {
  private readonly counts: ProcessCounts;

  constructor(cluster: LiveCluster, onError: (err: unknown) => void) {
    this.counts = new ProcessCounts(cluster, cluster.keys.liveConnProcs, cluster.keys.liveConns(""), onError);
  }

  async admit(userId: string, max: number): Promise<boolean> {
    return "taken" in (await this.counts.admit([[userId, max]]));
  }

  release(userId: string): void {
    this.counts.release([userId]);
  }
}

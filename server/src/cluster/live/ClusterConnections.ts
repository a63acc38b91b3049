import type { SharedAdmission, SharedConnectionCounts } from "../../auth/ConnectionGuard.js";
import type { LiveCluster } from "./LiveCluster.js";
import { ProcessCounts } from "./ProcessCounts.js";
import { takeToken } from "./tokenBucket.js";

/**
 * Open websockets per user and per client address counted over every web process of the scaled
 * mode (`TESSERA_WS_PER_USER`, `TESSERA_WS_PER_ADDRESS` are cluster-wide there): each process's
 * contribution in `tessera:conns:<processId>` (`u:<user>` / `a:<address>` → open sockets), summed
 * over the processes still beating at each admission ({@link ProcessCounts}). The upgrade attempts
 * per client address (`TESSERA_WS_UPGRADES_PER_SECOND`, sync upgrades and live handshakes) are one
 * token bucket per address in Redis (`tessera:upgrade:addr:<address>`), shared by every process.
 */

const userField = (u: string) => `u:${u}`;
const addressField = (a: string) => `a:${a}`;

export class ClusterConnections implements SharedConnectionCounts {
  private readonly counts: ProcessCounts;

  constructor(
    private readonly cluster: LiveCluster,
    private readonly onError: (err: unknown) => void,
  ) {
    this.counts = new ProcessCounts(cluster, cluster.keys.connProcs, cluster.keys.conns(""), onError);
  }

  async admit(
    username: string,
    address: string,
    limits: { perUser: number; perAddress: number },
  ): Promise<SharedAdmission> {
    const r = await this.counts.admit([
      [userField(username), limits.perUser],
      [addressField(address), limits.perAddress],
    ]);
    if ("taken" in r) return "ok";
    return r.full === 0 ? "user" : "address";
  }

  release(username: string, address: string): void {
    this.counts.release([userField(username), addressField(address)]);
  }

  /** Redis unreachable: said through `onError` and granted (this process's own bucket, taken first, still holds). */
  async takeAttempt(address: string, burst: number, perSecond: number): Promise<number> {
    try {
      return await takeToken(this.cluster.redis, this.cluster.keys.upgradeAddress(address), burst, perSecond * 60);
    } catch (err) {
      this.onError(err);
      return 0;
    }
  }
}

import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { TokenBuckets, type Now } from "./limiter.js";

/**
 * Websocket admission (collaboration.md §3 "Reconnect storms"): upgrade attempts per client
 * address are rate limited, and open websockets are capped per address and per user. Refusals
 * happen at the HTTP upgrade with 503 and `Retry-After`, which a stock y-websocket client counts
 * as a failed attempt and backs off from, instead of a socket that opens and closes (which it
 * retries within ~100 ms). Each admitted socket is tracked until it closes, so sessions that end
 * (logout, removal, role change) can be cut.
 */
export interface ConnectionLimits {
  /** Open websockets per client address (generous: an office behind one NAT address shares it). */
  readonly perAddress: number;
  /** Open websockets per user (tabs × open records). */
  readonly perUser: number;
  /** Upgrade attempts per address: burst, then this many per second. */
  readonly upgradeBurstPerAddress: number;
  readonly upgradesPerSecondPerAddress: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  perAddress: 256,
  perUser: 64,
  upgradeBurstPerAddress: 200,
  upgradesPerSecondPerAddress: 50,
};

interface Tracked {
  readonly socket: Duplex;
  readonly address: string;
  readonly username: string;
  readonly session: string | null;
}

export interface GuardRefusal {
  readonly status: 503;
  readonly message: string;
  readonly retryAfterSeconds: number;
}

export type SharedAdmission = "ok" | "user" | "address";

/**
 * Counts shared by several processes (the scaled mode: `server/src/cluster/live/ClusterConnections.ts`):
 * the per-user and per-address caps then hold over all of them.
 */
export interface SharedConnectionCounts {
  admit(username: string, address: string, limits: { perUser: number; perAddress: number }): Promise<SharedAdmission>;
  release(username: string, address: string): void;
  /** One upgrade attempt from `address` in the shared bucket: 0 when granted, else the seconds to wait. */
  takeAttempt(address: string, burst: number, perSecond: number): Promise<number>;
}

const tooManyFromAddress = (): GuardRefusal => ({
  status: 503,
  message: "too many connections from this address",
  retryAfterSeconds: 5 + Math.floor(Math.random() * 10),
});

const tooManyForUser = (): GuardRefusal => ({
  status: 503,
  message: "too many connections for this user",
  retryAfterSeconds: 5 + Math.floor(Math.random() * 10),
});

const attemptRefusal = (wait: number): GuardRefusal => ({
  status: 503,
  message: "too many connection attempts from this address",
  retryAfterSeconds: wait,
});

export class ConnectionGuard {
  private readonly attempts: TokenBuckets;
  private readonly open = new Set<Tracked>();
  private readonly byAddress = new Map<string, number>();
  private readonly byUser = new Map<string, number>();

  constructor(
    readonly limits: ConnectionLimits,
    now: Now,
    private readonly shared: SharedConnectionCounts | null = null,
  ) {
    this.attempts = new TokenBuckets(limits.upgradeBurstPerAddress, limits.upgradesPerSecondPerAddress, now);
  }

  /** Counts one upgrade attempt from `address`; a refusal when it is over its rate. Checked before anything else. */
  attempt(address: string): GuardRefusal | null {
    const wait = this.attempts.take(address);
    return wait > 0 ? attemptRefusal(wait) : null;
  }

  /**
   * {@link attempt} over every process when the counts are shared (the scaled mode): this process's
   * bucket first (a refusal there needs no round trip, and bounds what a flood sends to Redis), then
   * the shared one.
   */
  async attemptAnywhere(address: string): Promise<GuardRefusal | null> {
    const local = this.attempt(address);
    if (local || !this.shared || this.limits.upgradeBurstPerAddress === Infinity) return local;
    const wait = await this.shared.takeAttempt(
      address,
      this.limits.upgradeBurstPerAddress,
      this.limits.upgradesPerSecondPerAddress,
    );
    return wait > 0 ? attemptRefusal(wait) : null;
  }

  /** Admits an authenticated upgrade, counted until `socket` closes; a refusal when a cap is reached. */
  admit(socket: Duplex, address: string, username: string, session: string | null): GuardRefusal | null {
    if ((this.byAddress.get(address) ?? 0) >= this.limits.perAddress) return tooManyFromAddress();
    if ((this.byUser.get(username) ?? 0) >= this.limits.perUser) return tooManyForUser();
    this.track(socket, address, username, session, null);
    return null;
  }

  /**
   * {@link admit} with the counts of every process when they are shared (the scaled mode), else
   * this process's alone.
   */
  async admitAnywhere(
    socket: Duplex,
    address: string,
    username: string,
    session: string | null,
  ): Promise<GuardRefusal | null> {
    const shared = this.shared;
    if (!shared) return this.admit(socket, address, username, session);
    const verdict = await shared.admit(username, address, this.limits);
    if (verdict === "user") return tooManyForUser();
    if (verdict === "address") return tooManyFromAddress();
    this.track(socket, address, username, session, () => shared.release(username, address));
    return null;
  }

  private track(
    socket: Duplex,
    address: string,
    username: string,
    session: string | null,
    onRelease: (() => void) | null,
  ): void {
    const t: Tracked = { socket, address, username, session };
    this.open.add(t);
    const bump = (m: Map<string, number>, k: string, d: number) => {
      const n = (m.get(k) ?? 0) + d;
      if (n <= 0) m.delete(k);
      else m.set(k, n);
    };
    bump(this.byAddress, address, 1);
    bump(this.byUser, username, 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.open.delete(t);
      bump(this.byAddress, address, -1);
      bump(this.byUser, username, -1);
      onRelease?.();
    };
    socket.once("close", release);
    if ((socket as Partial<Socket>).destroyed) release();
  }

  /** Cuts the websockets of a user (or of one of their sessions); their clients reconnect and are asked again. */
  kick(username: string, session?: string): number {
    let n = 0;
    for (const t of [...this.open]) {
      if (t.username !== username || (session !== undefined && t.session !== session)) continue;
      t.socket.destroy();
      n++;
    }
    return n;
  }

  get openCount(): number {
    return this.open.size;
  }
}

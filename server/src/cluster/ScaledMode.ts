import { hostname } from "node:os";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Redis } from "ioredis";
import type { WebSocket } from "ws";
import {
  clusterSecret,
  connectRedis,
  ProcessRegistry,
  RecordLeases,
  RedisRecordLog,
  redisKeys,
  type RecordKey,
  type RecordLog,
} from "@tessera/storage";
import { CloseCode } from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import type { Persister } from "../persist/index.js";
import { startScaledPersist, type ScaledPersist } from "../persist/scaledPersist.js";
import type { Clock } from "../sync/clock.js";
import type { Identity } from "../sync/identity.js";
import type { SyncLimits } from "../sync/limits.js";
import type { PipedConnection, RoomOwnership, SyncRouting } from "../sync/ports.js";
import { FencedLogReporter } from "./fencedLog.js";
import { forwardUpgrade } from "./forward.js";
import { redactUrl } from "./live/LiveCluster.js";
import { RestForwarder, restForwardLimitsFromEnv, type RestForwardLimits } from "./forwardHttp.js";
import { RecordOwnership } from "./RecordOwnership.js";
import { ForwardSigner } from "./signing.js";

class ScaledModeError extends Error {
  override name = "ScaledModeError";
}

export interface ScaledModeOptions {
  readonly redisUrl: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Lease TTL (default: the storage layer's, 10 s); tests shorten it. */
  readonly leaseMs?: number;
  /** Bounds of relayed REST requests (default: `TESSERA_FORWARD_*` from the environment, else the defaults). */
  readonly restForward?: RestForwardLimits;
}

/** The assignment lock's read-only marks (`AssignEnforcer.marks`). */
export interface LockMarks {
  has(identity: Identity): boolean;
  add(identity: Identity): void;
}

/** What the scaled mode drops rooms through (the sync endpoint's `RoomManager`). */
export interface EvictionTarget {
  evict(key: RecordKey, code: number, reason: string): void;
}

/** `ws://…` for an internal `http://…` base URL, with the client's path and query. */
function peerSocketUrl(base: string, requestUrl: string | undefined): string {
  const url = new URL(requestUrl ?? "/", base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** The base URL peers reach this process at: `TESSERA_INTERNAL_URL`, else the listening address (loopback for a wildcard). */
export function defaultInternalUrl(host: string, port: number): string {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * The web-process side of the scaled mode (docs/ARCHITECTURE.md §6): one Redis connection; this process in the
 * registry (kind `web`, the URL peers forward to); record leases, renewed; the record log on Redis streams,
 * fenced by the lease this process holds; ownership and routing for the sync endpoint. No file log, no journal
 * and no start-up recovery: what a dead process left in a stream is folded by the persist workers.
 */
export class ScaledMode {
  readonly log: RecordLog;
  private readonly registry: ProcessRegistry;
  private readonly leases: RecordLeases;
  private readonly ownership: RecordOwnership;
  private readonly signer: ForwardSigner;
  private rooms: EvictionTarget | null = null;
  private closed = false;
  private persist: { readonly fold: ScaledPersist; readonly subscriber: Redis } | null = null;
  private internalUrl: string | null = null;
  private readonly restForward: RestForwardLimits;

  private constructor(
    private readonly redis: Redis,
    secret: Buffer,
    private readonly options: ScaledModeOptions,
  ) {
    const keys = redisKeys();
    this.registry = new ProcessRegistry(redis, keys);
    this.leases = new RecordLeases(redis, keys, this.registry.processId, {
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    });
    const leases = this.leases;
    const streams = new RedisRecordLog(redis, keys, { fence: (key) => leases.current(key)?.value ?? null });
    this.log = new FencedLogReporter(streams, (key) => this.lost(key, "an append was fenced"));
    this.ownership = new RecordOwnership(this.leases, this.registry, options.clock, options.logger);
    this.signer = new ForwardSigner(secret);
    this.restForward = options.restForward ?? restForwardLimitsFromEnv(process.env);
  }

  /** Connects to Redis and reads (or creates) the cluster secret; the process registers once it listens. */
  static async open(options: ScaledModeOptions): Promise<ScaledMode> {
    const redis = connectRedis(options.redisUrl, "tessera-web");
    redis.on("error", (err: Error) => options.logger.warn("redis connection error", { error: err.message }));
    try {
      const secret = await clusterSecret(redis, redisKeys());
      return new ScaledMode(redis, secret, options);
    } catch (err) {
      redis.disconnect();
      throw new ScaledModeError(
        `cannot reach Redis at ${redactUrl(options.redisUrl)}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  get processId(): string {
    return this.registry.processId;
  }

  /** This process's one entry in the registry (id, heartbeat): the people side (`LiveCluster`) shares it. */
  get processEntry(): ProcessRegistry {
    return this.registry;
  }

  /** Registers this process at `url` (peers forward there) and starts renewing its leases. */
  async register(url: string): Promise<void> {
    this.internalUrl = url;
    await this.registry.start({
      kind: "web",
      url,
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
    });
    this.leases.startRenewing(
      (key) => this.lost(key, "its lease was lost"),
      // Redis unreachable: the leases expire if this lasts, and the next renewal reports them lost.
      (err) => this.options.logger.warn("scaled mode: lease renewal failed", { error: err.message }),
    );
    this.options.logger.info("scaled mode: process registered", { processId: this.processId, url });
  }

  /** The rooms a lost lease drops (set once the sync endpoint exists). */
  bindRooms(rooms: EvictionTarget): void {
    this.rooms = rooms;
  }

  /**
   * The sync endpoint's ownership and routing. `lockMarks`: the assignment lock's read-only marks, carried with
   * a forwarded identity so the owner re-admits it when the lock changes, as the edge would have.
   */
  syncCluster(
    limits: Pick<SyncLimits, "maxPayloadBytes" | "pingIntervalMs">,
    lockMarks: LockMarks = { has: () => false, add: () => undefined },
  ): {
    readonly ownership: RoomOwnership;
    readonly routing: SyncRouting;
  } {
    const { clock, logger } = this.options;
    const routing: SyncRouting = {
      forwardedIdentity: (req) => {
        const verified = this.signer.verify(req);
        if (verified === null || "refuse" in verified) return verified;
        if (verified.lockedOut) lockMarks.add(verified.identity);
        return verified.identity;
      },
      place: (key, forwarded) => this.ownership.place(key, forwarded),
      forward: (
        req: IncomingMessage,
        socket: Duplex,
        identity: Identity,
        url: string,
        accept: (onClient: (ws: WebSocket) => void) => void,
      ): PipedConnection =>
        forwardUpgrade(req, socket, {
          target: peerSocketUrl(url, req.url),
          headers: this.signer.sign(identity, req.url ?? "/", lockMarks.has(identity)),
          accept,
          maxPayload: limits.maxPayloadBytes,
          pingIntervalMs: limits.pingIntervalMs,
          clock,
          logger,
        }),
    };
    return { ownership: this.ownership, routing };
  }

  /** The REST side of forwarding: writes to a record open on another process are relayed to it (`RestForwarder`). */
  restForwarding(): RestForwarder {
    return new RestForwarder({
      signer: this.signer,
      place: (key) => this.ownership.place(key, false),
      selfUrl: () => this.internalUrl,
      limits: this.restForward,
      clock: this.options.clock,
      logger: this.options.logger,
    });
  }

  /** This process no longer owns `key`: its room goes without a flush, its clients reconnect (4503). */
  private lost(key: RecordKey, why: string): void {
    if (this.closed) return;
    this.options.logger.warn(`scaled mode: dropping a record room, ${why}`, { ...key });
    this.rooms?.evict(key, CloseCode.ownerLost, "another server process owns the record now; reconnect");
    this.ownership.released(key);
  }

  /**
   * The fold side of this web process: a `RedisPersister` (jobs on the cluster's stream, results on its
   * own subscriber connection) and `TESSERA_PERSIST_WORKERS` persist worker children (default 1) that
   * join the cluster's consumer group. Stopped by {@link closePersist}.
   */
  startPersist(dataDir: string): Persister {
    if (this.persist) return this.persist.fold.persister;
    const subscriber = connectRedis(this.options.redisUrl, "tessera-web-persist");
    subscriber.on("error", (err: Error) =>
      this.options.logger.warn("redis connection error (persist results)", { error: err.message }),
    );
    const fold = startScaledPersist({
      redis: this.redis,
      subscriber,
      keys: redisKeys(),
      processId: this.processId,
      dataDir,
      redisUrl: this.options.redisUrl,
      clock: this.options.clock,
      logger: this.options.logger,
    });
    this.persist = { fold, subscriber };
    return fold.persister;
  }

  /** After the rooms' last flushes: fails what is still waiting, stops the worker children (they finish their folds). */
  async closePersist(): Promise<void> {
    const persist = this.persist;
    if (!persist) return;
    this.persist = null;
    await persist.fold.close();
    persist.subscriber.disconnect();
  }

  /** After the rooms' last flushes: releases the leases left, leaves the registry, closes Redis. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ownership.close();
    this.leases.stop();
    await this.registry.stop();
    await this.redis.quit();
  }
}

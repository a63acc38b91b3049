import { Redis } from "ioredis";
import { redisKeys } from "@tessera/storage";
import type { AuthEvent } from "../../auth/shared.js";
import type { Logger } from "../../logger.js";

/**
 * The people side of the scaled mode (docs/ARCHITECTURE.md §6 "Accounts, sessions, limits, live
 * channel"): one web process's connections to the shared Redis and the auth bus every process
 * listens on (account changes, kicks). Sessions, connection counts, login counters and live
 * presence build on it (the other modules of this folder). Which processes are alive is the
 * cluster's one process registry (`ProcessRegistry`, `tessera:proc:<id>`): the people side uses
 * this process's entry in it, so a process has one id, one heartbeat and one notion of "dead".
 */

/** Redis key names of the people side, all under the cluster prefix (default `tessera:`). */
export interface LiveKeys {
  readonly prefix: string;
  /** A session: JSON, expiring with it (PEXPIREAT). */
  session(digest: string): string;
  /** The match pattern of every session key (SCAN). */
  readonly sessionPattern: string;
  /** A live process: its heartbeat in the process registry (PX). */
  alive(processId: string): string;
  /** Processes that hold open websockets (set), and one process's open websockets per user / address (hash). */
  readonly connProcs: string;
  conns(processId: string): string;
  /** The same for live-channel connections: processes holding some (set), one process's per user (hash). */
  readonly liveConnProcs: string;
  liveConns(processId: string): string;
  /** Upgrade and live-handshake attempts of a client address (token bucket). */
  upgradeAddress(address: string): string;
  /** The lock around one append to a file several processes append to (`RedisAppendLock`). */
  appendLock(name: string): string;
  /** Login attempts of a client address (token bucket) and failures of a username (backoff). */
  loginAddress(address: string): string;
  loginName(name: string): string;
  /** Live presence of a dataset: `<processId>|<connectionId>` → Presence JSON. */
  presence(datasetId: string): string;
  /** Pub/sub channel of account changes and kicks. */
  readonly authEvents: string;
  /** socket.io's Redis adapter channel prefix. */
  readonly socketIo: string;
}

function liveKeys(prefix = "tessera:"): LiveKeys {
  const enc = encodeURIComponent;
  return {
    prefix,
    session: (d) => `${prefix}sessions:${d}`,
    sessionPattern: `${prefix}sessions:*`,
    alive: redisKeys(prefix).proc,
    connProcs: `${prefix}conns:procs`,
    conns: (id) => `${prefix}conns:${id}`,
    liveConnProcs: `${prefix}live:conns:procs`,
    liveConns: (id) => `${prefix}live:conns:${id}`,
    upgradeAddress: (a) => `${prefix}upgrade:addr:${enc(a)}`,
    appendLock: (n) => `${prefix}append:lock:${enc(n)}`,
    loginAddress: (a) => `${prefix}login:addr:${enc(a)}`,
    loginName: (n) => `${prefix}login:name:${enc(n)}`,
    presence: (ds) => `${prefix}presence:${enc(ds)}`,
    authEvents: `${prefix}auth:events`,
    socketIo: `${prefix}socket.io`,
  };
}

interface Envelope {
  readonly from: string;
  readonly event: AuthEvent;
}

function parseEnvelope(text: string): Envelope | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return null;
    throw err;
  }
  const o = v as { from?: unknown; event?: { t?: unknown; username?: unknown; key?: unknown } } | null;
  if (!o || typeof o.from !== "string" || !o.event) return null;
  const e = o.event;
  if (e.t === "users" || e.t === "tokens") return { from: o.from, event: { t: e.t } };
  if (e.t === "kick" && typeof e.username === "string" && (e.key === null || typeof e.key === "string"))
    return { from: o.from, event: { t: "kick", username: e.username, key: e.key } };
  return null;
}

class LiveClusterError extends Error {
  override name = "LiveClusterError";
}

/** This process's entry in the cluster's process registry (`ProcessRegistry` of `@tessera/storage`). */
interface ProcessBeat {
  readonly processId: string;
  /** Whether a process's heartbeat is in the registry. */
  alive(processId: string): Promise<boolean>;
  /** Called when this process's heartbeat had lapsed (also at its first beat). */
  onBeatLost(fn: () => void): () => void;
}

export interface LiveClusterOptions {
  readonly url: string;
  readonly logger: Logger;
  readonly prefix?: string;
  /** This process in the registry (the scaled mode's `ScaledMode.registry`): its id and heartbeat. */
  readonly process: ProcessBeat;
}

function connect(url: string, name: string, logger: Logger): Redis {
  const redis = new Redis(url, { connectionName: name, lazyConnect: true, maxRetriesPerRequest: 3 });
  // ioredis reconnects by itself; each failure is said, and commands meanwhile fail or wait in its queue.
  redis.on("error", (err: Error) => logger.warn("redis connection", { connection: name, error: err.message }));
  return redis;
}

export class LiveCluster {
  readonly keys: LiveKeys;
  readonly processId: string;
  private readonly listeners = new Set<(e: AuthEvent) => void>();
  private closed = false;

  private constructor(
    /** Commands (sessions, counters, presence). */
    readonly redis: Redis,
    /** The subscriber of the auth bus. */
    private readonly sub: Redis,
    /** socket.io adapter's publisher and subscriber. */
    readonly adapterPub: Redis,
    readonly adapterSub: Redis,
    private readonly options: LiveClusterOptions,
  ) {
    this.keys = liveKeys(options.prefix);
    this.processId = options.process.processId;
  }

  static async open(options: LiveClusterOptions): Promise<LiveCluster> {
    const { url, logger } = options;
    const c = new LiveCluster(
      connect(url, "tessera-live", logger),
      connect(url, "tessera-live-sub", logger),
      connect(url, "tessera-live-io-pub", logger),
      connect(url, "tessera-live-io-sub", logger),
      options,
    );
    try {
      await Promise.all([c.redis.connect(), c.sub.connect(), c.adapterPub.connect(), c.adapterSub.connect()]);
      await c.sub.subscribe(c.keys.authEvents);
    } catch (err) {
      c.disconnect();
      throw new LiveClusterError(`cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`);
    }
    c.sub.on("message", (channel: string, text: string) => {
      if (channel !== c.keys.authEvents) return;
      const env = parseEnvelope(text);
      if (!env) {
        logger.warn("auth bus: a message of unknown shape was ignored");
        return;
      }
      if (env.from === c.processId) return;
      for (const fn of c.listeners) fn(env.event);
    });
    return c;
  }

  /**
   * Called when this process's heartbeat in the registry had lapsed (also at its first beat, once the
   * process listens): the others may have dropped its per-process state, which must be written again.
   */
  onBeatLost(fn: () => void): () => void {
    return this.options.process.onBeatLost(fn);
  }

  /** Whether a process still beats (this one: until {@link close}, also before its first beat). */
  async alive(processId: string): Promise<boolean> {
    if (processId === this.processId) return !this.closed;
    return this.options.process.alive(processId);
  }

  /** Tells every other process (resolves once Redis took the message). */
  async publish(event: AuthEvent): Promise<void> {
    const envelope: Envelope = { from: this.processId, event };
    await this.redis.publish(this.keys.authEvents, JSON.stringify(envelope));
  }

  onEvent(fn: (e: AuthEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private disconnect(): void {
    for (const r of [this.redis, this.sub, this.adapterPub, this.adapterSub]) r.disconnect();
  }

  /**
   * Disconnects. The heartbeat is the registry's: when the process leaves it (`ScaledMode.close`),
   * its presence and counts are dropped by the others.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.disconnect();
  }
}

/** A Redis URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch (err) {
    if (err instanceof TypeError) return "(invalid URL)";
    throw err;
  }
}

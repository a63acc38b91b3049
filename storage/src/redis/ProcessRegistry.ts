import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { RedisKeys } from "./keys.js";

/** What a live process of the cluster says about itself. */
export interface ProcessInfo {
  readonly kind: "web" | "persist";
  /** Where other processes reach it (web processes: the base URL forwarded sockets go to); null for workers. */
  readonly url: string | null;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

export interface ProcessRegistryOptions {
  /** Default: random, unique per start. */
  readonly processId?: string;
  /** How long a heartbeat counts without renewal (default 5 s). */
  readonly ttlMs?: number;
  /** How often it is renewed (default 1.5 s). */
  readonly renewMs?: number;
  /** Told when a renewal fails (Redis unreachable); the next one tries again. */
  readonly onError?: (err: Error) => void;
}

function parseInfo(text: string | null): ProcessInfo | null {
  if (text === null) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return null;
    throw err;
  }
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== "object") return null;
  if ((o.kind !== "web" && o.kind !== "persist") || typeof o.pid !== "number" || typeof o.host !== "string")
    return null;
  return {
    kind: o.kind,
    url: typeof o.url === "string" ? o.url : null,
    pid: o.pid,
    host: o.host,
    startedAt: typeof o.startedAt === "string" ? o.startedAt : "",
  };
}

/**
 * The processes of a scaled deployment (docs/ARCHITECTURE.md §6): each keeps a heartbeat key with a
 * short TTL; a process is alive while its key exists. A SIGKILLed process's key expires within the
 * TTL, which is what lets another process take over its leases and its workers' jobs.
 */
export class ProcessRegistry {
  readonly processId: string;
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private timer: NodeJS.Timeout | null = null;
  private own: ProcessInfo | null = null;
  private readonly afterBeatLost = new Set<() => void>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly opts: ProcessRegistryOptions = {},
  ) {
    this.processId = opts.processId ?? `${process.pid.toString(36)}-${randomBytes(6).toString("hex")}`;
    if (this.processId.includes(":")) throw new TypeError("a process id may not hold ':'");
    this.ttlMs = opts.ttlMs ?? 5_000;
    this.renewMs = opts.renewMs ?? 1_500;
  }

  /** Registers the process and keeps its heartbeat alive until {@link stop}. */
  async start(info: ProcessInfo): Promise<void> {
    this.own = info;
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((err: unknown) => this.opts.onError?.(err instanceof Error ? err : new Error(String(err))));
    }, this.renewMs);
    this.timer.unref();
  }

  /** Renews the heartbeat; when it had expired (the first beat, a long pause), tells {@link onBeatLost}'s listeners. */
  private async beat(): Promise<void> {
    if (!this.own) return;
    const key = this.keys.proc(this.processId);
    const text = JSON.stringify(this.own);
    if ((await this.redis.set(key, text, "PX", this.ttlMs, "XX")) === "OK") return;
    await this.redis.set(key, text, "PX", this.ttlMs);
    for (const fn of this.afterBeatLost) fn();
  }

  /**
   * Called when this process's heartbeat had lapsed (also at its first beat): the others may have
   * dropped what they keep per live process (counts, presence), which must be written again.
   */
  onBeatLost(fn: () => void): () => void {
    this.afterBeatLost.add(fn);
    return () => this.afterBeatLost.delete(fn);
  }

  async alive(processId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.proc(processId))) === 1;
  }

  async info(processId: string): Promise<ProcessInfo | null> {
    return parseInfo(await this.redis.get(this.keys.proc(processId)));
  }

  /** Every live process (SCAN over the heartbeat keys). */
  async list(): Promise<Array<{ readonly id: string; readonly info: ProcessInfo }>> {
    const prefix = this.keys.proc("");
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await this.redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 200);
      cursor = next;
      found.push(...batch);
    } while (cursor !== "0");
    if (found.length === 0) return [];
    const values = await this.redis.mget(...found);
    const out: Array<{ id: string; info: ProcessInfo }> = [];
    found.forEach((k, i) => {
      const info = parseInfo(values[i] ?? null);
      if (info) out.push({ id: k.slice(prefix.length), info });
    });
    return out;
  }

  /** Stops the heartbeat and removes the key: the others see this process gone at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.own = null;
    await this.redis.del(this.keys.proc(this.processId));
  }
}

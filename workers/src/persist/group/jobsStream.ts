import type { ChainableCommander, Redis } from "ioredis";
import { persistJobEntry, type PersistJobFields } from "@tessera/shared-crdt";
import type { RedisKeys } from "@tessera/storage";
import { autoClaimEntries, rangeEntries, readGroupEntries, type StreamEntry } from "./streamReply.js";

/** The consumer group on the jobs stream. */
const PERSIST_GROUP = "persist";

/**
 * The hash counting, per job, the folds started on it (HINCRBY before each fold, HDEL when the job
 * is done): a job moved between consumers without a fold (handed to a lock's holder) is delivered
 * again by XAUTOCLAIM without having hurt anyone, so XPENDING's delivery counter cannot tell a
 * poison job. Not in the key table: it is the workers' own.
 */
function attemptsKey(keys: RedisKeys): string {
  return `${keys.prefix}persist:attempts`;
}

/**
 * The persist jobs stream as one consumer of the group `persist` sees it (docs/ARCHITECTURE.md §6):
 * reading, claiming, touching, acknowledging, handing jobs back to the group or over to another
 * consumer, and reading its own pending list. Every call is one Redis round trip (a MULTI for the
 * steps that must happen together) on the worker's command connection, except `read` (its own).
 */
export class JobsStream {
  constructor(
    private readonly cmd: Redis,
    private readonly reader: Redis,
    private readonly keys: RedisKeys,
    /** This worker's consumer name (its process id). */
    private readonly consumer: string,
  ) {}

  /** Creates the group (from the stream's start, the stream too when missing) unless it exists. */
  async createGroup(): Promise<void> {
    try {
      await this.cmd.call("XGROUP", "CREATE", this.keys.jobs, PERSIST_GROUP, "0", "MKSTREAM");
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith("BUSYGROUP"))) throw err;
    }
  }

  /** XREADGROUP `>`: new jobs, waiting up to `blockMs` for one. */
  async read(count: number, blockMs: number): Promise<StreamEntry[]> {
    const reply = await this.reader.call(
      "XREADGROUP",
      "GROUP",
      PERSIST_GROUP,
      this.consumer,
      "COUNT",
      count,
      "BLOCK",
      blockMs,
      "STREAMS",
      this.keys.jobs,
      ">",
    );
    return readGroupEntries(reply);
  }

  /** XAUTOCLAIM: jobs idle at least `minIdleMs` in any consumer's list become ours. */
  async autoClaim(
    minIdleMs: number,
    cursor: string,
    count: number,
  ): Promise<{ cursor: string; entries: StreamEntry[] }> {
    return autoClaimEntries(
      await this.cmd.call(
        "XAUTOCLAIM",
        this.keys.jobs,
        PERSIST_GROUP,
        this.consumer,
        minIdleMs,
        cursor,
        "COUNT",
        count,
      ),
    );
  }

  /** Resets the idle time of jobs of ours, so no other worker claims them. */
  async touch(ids: readonly string[]): Promise<void> {
    if (ids.length > 0)
      await this.cmd.call("XCLAIM", this.keys.jobs, PERSIST_GROUP, this.consumer, 0, ...ids, "JUSTID");
  }

  /** Counts one more fold started on a job (before the fold: a worker dying in it has counted it). */
  async attempting(id: string): Promise<void> {
    await this.cmd.hincrby(attemptsKey(this.keys), id, 1);
  }

  /** How many folds were started on each of these jobs (0 for none). */
  async attempts(ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (ids.length === 0) return out;
    const counts = await this.cmd.hmget(attemptsKey(this.keys), ...ids);
    ids.forEach((id, i) => out.set(id, Number(counts[i] ?? 0) || 0));
    return out;
  }

  /** The ids of our pending list, oldest first, at most `count` (XPENDING: delivery counts unchanged). */
  async pending(count: number): Promise<string[]> {
    const reply = await this.cmd.call("XPENDING", this.keys.jobs, PERSIST_GROUP, "-", "+", count, this.consumer);
    if (!Array.isArray(reply)) return [];
    const ids: string[] = [];
    for (const row of reply as unknown[]) if (Array.isArray(row) && typeof row[0] === "string") ids.push(row[0]);
    return ids;
  }

  /** One job of the stream, null once deleted. */
  async entry(id: string): Promise<StreamEntry | null> {
    return rangeEntries(await this.cmd.call("XRANGE", this.keys.jobs, id, id))[0] ?? null;
  }

  /**
   * Moves a pending job of ours to `consumer`'s pending list (XCLAIM … JUSTID: its idle time resets,
   * its delivery count does not grow). False when the job is no longer pending (acknowledged).
   */
  async handTo(consumer: string, id: string): Promise<boolean> {
    const moved = await this.cmd.call("XCLAIM", this.keys.jobs, PERSIST_GROUP, consumer, 0, id, "JUSTID");
    return Array.isArray(moved) && moved.length > 0;
  }

  /** Gives a job back to the group: a copy at the end of the stream, the original acknowledged and deleted. */
  async handBack(id: string, job: PersistJobFields): Promise<void> {
    await execChecked(
      this.cmd
        .multi()
        .call("XADD", this.keys.jobs, "*", ...persistJobEntry(job))
        .call("XACK", this.keys.jobs, PERSIST_GROUP, id)
        .call("XDEL", this.keys.jobs, id)
        .hdel(attemptsKey(this.keys), id),
    );
  }

  /** Acknowledges a job and removes it from the stream (the jobs stream keeps only jobs not done). */
  async ack(id: string): Promise<void> {
    await execChecked(
      this.cmd
        .multi()
        .call("XACK", this.keys.jobs, PERSIST_GROUP, id)
        .call("XDEL", this.keys.jobs, id)
        .hdel(attemptsKey(this.keys), id),
    );
  }
}

/** Runs a MULTI and throws the first command error (ioredis reports them in the result, not by rejecting). */
async function execChecked(multi: ChainableCommander): Promise<void> {
  const results = await multi.exec();
  if (results === null) throw new Error("redis transaction aborted");
  for (const [err] of results) if (err) throw err;
}

import type { Redis } from "ioredis";
import { persistJobEntry } from "@tessera/shared-crdt";
import { parseRecordTag, type RecordKey, type RedisKeys } from "@tessera/storage";

export interface OrphanSweepOptions {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  /** This worker's process id: the sweep lock's value and the jobs' id prefix. */
  readonly owner: string;
  /** A log whose oldest entry is older than this and has no live owner is an orphan (default 10 s). */
  readonly flushMaxWaitMs: number;
  /**
   * A log whose oldest entry is older than this is queued whoever owns it (default 30 s): a live
   * owner flushes on its own, but one whose flush is stuck (its room kept loaded, its result lost)
   * or never asked again (nobody edits any more) would otherwise leave the rows behind for good.
   */
  readonly staleAfterMs: number;
  /** The sweep lock's TTL: one sweep at a time in the cluster, about once per period. */
  readonly periodMs: number;
  /** When the record's oldest log entry was appended (ms), null when its log is empty. */
  readonly oldestEntryAt: (key: RecordKey) => Promise<number | null>;
  /** The process id holding the record's lease, null when free. */
  readonly leaseHolder: (key: RecordKey) => Promise<string | null>;
  readonly alive: (processId: string) => Promise<boolean>;
  readonly now: () => number;
  readonly warn: (message: string, fields: Record<string, unknown>) => void;
}

/** The key of the sweep lock (`SET NX PX`): not in the key table, it is the workers' own. */
function sweepLockKey(keys: RedisKeys): string {
  return `${keys.prefix}persist:sweep`;
}

/**
 * The orphan sweep (docs/ARCHITECTURE.md §6): queues a fold job for every record whose log holds an
 * entry older than `flushMaxWaitMs` and whose lease holder is gone — its owner died before flushing,
 * or never flushed — and for every record whose log holds an entry older than `staleAfterMs` whoever
 * owns it, so every confirmed edit reaches the rows whatever died or stalled. One worker sweeps at a
 * time (the sweep lock, held for one period); the others skip. A record queued by this worker is
 * not queued again for `requeueAfterMs`, so a slow fold is not asked twice.
 */
export class OrphanSweep {
  private readonly queued = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly options: OrphanSweepOptions,
    private readonly requeueAfterMs: number,
  ) {}

  /** Runs one sweep if the sweep lock is free; resolves with the tags queued. */
  async run(): Promise<string[]> {
    const { redis, keys, owner, periodMs } = this.options;
    const locked = await redis.set(sweepLockKey(keys), owner, "PX", periodMs, "NX");
    if (locked !== "OK") return [];
    return this.sweep();
  }

  private async sweep(): Promise<string[]> {
    const { redis, keys, flushMaxWaitMs, staleAfterMs, now } = this.options;
    const tags = await redis.smembers(keys.logs);
    const t0 = now();
    for (const [tag, at] of this.queued) if (t0 - at > this.requeueAfterMs) this.queued.delete(tag);
    const candidates = tags.filter((tag) => !this.queued.has(tag));
    const firsts = await Promise.all(
      candidates.map(async (tag) => {
        let key: RecordKey;
        try {
          key = parseRecordTag(tag);
        } catch (err) {
          this.options.warn("orphan sweep: a malformed tag in the logs set", { tag, error: String(err) });
          return null;
        }
        return { tag, key, t: await this.options.oldestEntryAt(key) };
      }),
    );
    const out: string[] = [];
    for (const c of firsts) {
      if (!c || c.t === null || !Number.isFinite(c.t) || t0 - c.t < flushMaxWaitMs) continue;
      if (t0 - c.t < staleAfterMs) {
        const holder = await this.options.leaseHolder(c.key);
        if (holder !== null && (await this.options.alive(holder))) continue;
      }
      await redis.call(
        "XADD",
        keys.jobs,
        "*",
        ...persistJobEntry({ tag: c.tag, upTo: "latest", reply: "", id: `sweep:${this.options.owner}:${++this.seq}` }),
      );
      this.queued.set(c.tag, t0);
      out.push(c.tag);
    }
    return out;
  }
}

import type { Redis } from "ioredis";
import type { RedisKeys } from "@tessera/storage";

/** Sets the lock to ARGV[2] only if it still holds ARGV[1] (a dead holder's value): a takeover nobody else won. */
const TAKE_OVER = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0`;
/** Extends the lock only while it is ours. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
/** Deletes the lock only while it is ours. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export type LockAttempt = { readonly kind: "acquired" } | { readonly kind: "held"; readonly holder: string };

interface Held {
  readonly datasetId: string;
  /** Jobs of this worker using the lock now (a dataset's jobs in one worker share it). */
  users: number;
}

/**
 * The per-dataset fold locks of one persist worker (`keys.foldDataset(id)`, SET NX PX, value = the
 * worker's process id): one worker of the cluster folds or compacts a dataset at a time, so its
 * LanceDB tables have one writer, as in the embedded mode (the duplicate-id and row-owner checks
 * of a fold read the tables before writing them), and so one record is folded by one worker at a
 * time. A lock whose holder's process key is gone (the worker died: its heartbeat stopped) is
 * taken over at once instead of waiting for its TTL. Held locks are renewed by `renewAll`; a lock
 * found lost there (this worker was paused past the TTL) is reported, as the fold that held it can
 * no longer be sure to be alone.
 */
export class FoldLocks {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly owner: string,
    private readonly ttlMs: number,
    private readonly alive: (processId: string) => Promise<boolean>,
  ) {}

  async acquire(datasetId: string): Promise<LockAttempt> {
    const name = this.keys.foldDataset(datasetId);
    const mine = this.held.get(name);
    if (mine) {
      mine.users++;
      return { kind: "acquired" };
    }
    const set = await this.redis.set(name, this.owner, "PX", this.ttlMs, "NX");
    if (set === "OK") return this.took(name, datasetId);
    const holder = await this.redis.get(name);
    if (holder === null) return this.acquire(datasetId); // released between the two commands: try again
    if (holder === this.owner) {
      // Another job of this worker took it between our SET and GET: share it.
      const now = this.held.get(name);
      if (now) {
        now.users++;
        return { kind: "acquired" };
      }
      await this.redis.set(name, this.owner, "PX", this.ttlMs);
      return this.took(name, datasetId);
    }
    if (await this.alive(holder)) return { kind: "held", holder };
    const taken = await this.redis.eval(TAKE_OVER, 1, name, holder, this.owner, this.ttlMs);
    if (taken === 1) return this.took(name, datasetId);
    return { kind: "held", holder: (await this.redis.get(name)) ?? "" };
  }

  async release(datasetId: string): Promise<void> {
    const name = this.keys.foldDataset(datasetId);
    const mine = this.held.get(name);
    if (!mine) return;
    if (--mine.users > 0) return;
    this.held.delete(name);
    await this.redis.eval(RELEASE, 1, name, this.owner);
  }

  /** Jobs of this worker using the dataset's lock now (0 when not held). */
  users(datasetId: string): number {
    return this.held.get(this.keys.foldDataset(datasetId))?.users ?? 0;
  }

  /** Extends every held lock; returns the datasets whose lock was lost. */
  async renewAll(): Promise<string[]> {
    const entries = [...this.held.entries()];
    const results = await Promise.all(entries.map(([name]) => this.redis.eval(RENEW, 1, name, this.owner, this.ttlMs)));
    const lost: string[] = [];
    entries.forEach(([, h], i) => {
      if (results[i] !== 1) lost.push(h.datasetId);
    });
    return lost;
  }

  get size(): number {
    return this.held.size;
  }

  private took(name: string, datasetId: string): LockAttempt {
    const now = this.held.get(name);
    if (now) now.users++;
    else this.held.set(name, { datasetId, users: 1 });
    return { kind: "acquired" };
  }
}

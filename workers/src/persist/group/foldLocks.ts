import type { Redis } from "ioredis";
import type { RecordKey, RedisKeys } from "@tessera/storage";

/** Sets the lock to ARGV[2] only if it still holds ARGV[1] (a dead holder's value): a takeover nobody else won. */
const TAKE_OVER = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0`;
/** Extends the lock only while it is ours. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
/** Deletes the lock only while it is ours. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export type LockAttempt = { readonly kind: "acquired" } | { readonly kind: "held"; readonly holder: string };

interface Held {
  readonly key: RecordKey;
  /** Jobs of this worker using the lock now (a record's jobs in one worker share it). */
  users: number;
}

/**
 * The per-record fold locks of one persist worker (`keys.fold(key)`, SET NX PX, value = the worker's
 * process id): one worker folds a record at a time. A lock whose holder's process key is gone (the
 * worker died: its heartbeat stopped) is taken over at once instead of waiting for its TTL. Held
 * locks are renewed by `renewAll`; a lock found lost there (this worker was paused past the TTL)
 * is reported, as the fold that held it can no longer be sure to be alone.
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

  async acquire(key: RecordKey): Promise<LockAttempt> {
    const name = this.keys.fold(key);
    const mine = this.held.get(name);
    if (mine) {
      mine.users++;
      return { kind: "acquired" };
    }
    const set = await this.redis.set(name, this.owner, "PX", this.ttlMs, "NX");
    if (set === "OK") return this.took(name, key);
    const holder = await this.redis.get(name);
    if (holder === null) return this.acquire(key); // released between the two commands: try again
    if (holder === this.owner) {
      // Another job of this worker took it between our SET and GET: share it.
      const now = this.held.get(name);
      if (now) {
        now.users++;
        return { kind: "acquired" };
      }
      await this.redis.set(name, this.owner, "PX", this.ttlMs);
      return this.took(name, key);
    }
    if (await this.alive(holder)) return { kind: "held", holder };
    const taken = await this.redis.eval(TAKE_OVER, 1, name, holder, this.owner, this.ttlMs);
    if (taken === 1) return this.took(name, key);
    return { kind: "held", holder: (await this.redis.get(name)) ?? "" };
  }

  async release(key: RecordKey): Promise<void> {
    const name = this.keys.fold(key);
    const mine = this.held.get(name);
    if (!mine) return;
    if (--mine.users > 0) return;
    this.held.delete(name);
    await this.redis.eval(RELEASE, 1, name, this.owner);
  }

  /** Extends every held lock; returns the records whose lock was lost. */
  async renewAll(): Promise<RecordKey[]> {
    const entries = [...this.held.entries()];
    const results = await Promise.all(entries.map(([name]) => this.redis.eval(RENEW, 1, name, this.owner, this.ttlMs)));
    const lost: RecordKey[] = [];
    entries.forEach(([, h], i) => {
      if (results[i] !== 1) lost.push(h.key);
    });
    return lost;
  }

  get size(): number {
    return this.held.size;
  }

  private took(name: string, key: RecordKey): LockAttempt {
    const now = this.held.get(name);
    if (now) now.users++;
    else this.held.set(name, { key, users: 1 });
    return { kind: "acquired" };
  }
}

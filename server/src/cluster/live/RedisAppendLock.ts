import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { LiveCluster } from "./LiveCluster.js";

// Deletes the lock only if it is still this holder's (it may have expired and been taken since).
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * A short lock in Redis around one append to a file several processes append to (the scaled mode's
 * activity feed, `DATA_DIR/.tessera/activity/<dataset>.jsonl`). Small `O_APPEND` writes are atomic
 * on a local filesystem, not on NFS, where each client writes at the end it believes the file has:
 * two processes appending at once may overwrite or tear each other's lines. Under this lock one
 * process appends at a time, and each append opens and closes the file, so the next holder sees the
 * size the last one left (close-to-open consistency). The lock is `SET NX PX` with a random token
 * (expiring after `ttlMs`, 10 s: a holder that died frees it) and released only by its holder.
 * Redis unreachable: the append happens without the lock (said through `onError`), the entry is kept.
 */
export class RedisAppendLock {
  constructor(
    private readonly cluster: LiveCluster,
    private readonly onError: (err: unknown) => void,
    private readonly ttlMs = 10_000,
  ) {}

  /** Runs `write` while holding the lock named `name`, waiting for it (it always expires within `ttlMs`). */
  async run(name: string, write: () => Promise<void>): Promise<void> {
    const key = this.cluster.keys.appendLock(name);
    const token = randomBytes(12).toString("base64url");
    let held = false;
    try {
      for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
        if ((await this.cluster.redis.set(key, token, "PX", this.ttlMs, "NX")) === "OK") break;
        await delay(wait);
      }
      held = true;
    } catch (err) {
      this.onError(err);
    }
    try {
      await write();
    } finally {
      if (held) await this.cluster.redis.eval(RELEASE, 1, key, token).catch((err: unknown) => this.onError(err));
    }
  }
}

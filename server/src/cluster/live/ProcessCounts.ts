import type { LiveCluster } from "./LiveCluster.js";

/**
 * Counters summed over every live web process of the scaled mode, with caps checked and taken in
 * one step. Each process keeps its own contribution in a hash (`<hashPrefix><processId>`: field →
 * open connections) and names itself in a set of contributors; an admission sums the contributions
 * of the processes whose heartbeat is in the process registry and, when every field is under its
 * cap, adds one to each field of its own hash — one Lua script, so two processes never both take the
 * last place. A process that died stops beating and its contribution is dropped by the next
 * admission anywhere; a process whose own heartbeat lapsed (a long pause) writes its hash again.
 */

// KEYS[1]: the set of contributors, KEYS[2]: this process's hash. ARGV: hash prefix, heartbeat key
// prefix, this process's id, n, then n fields, then their n caps. Returns 0 (taken) or the 1-based
// index of the first field at its cap.
const ADMIT = `
local n = tonumber(ARGV[4])
local fields, sums = {}, {}
for i = 1, n do fields[i] = ARGV[4 + i]; sums[i] = 0 end
for _, p in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local h = ARGV[1] .. p
  if p == ARGV[3] or redis.call('EXISTS', ARGV[2] .. p) == 1 then
    local v = redis.call('HMGET', h, unpack(fields))
    for i = 1, n do sums[i] = sums[i] + (tonumber(v[i]) or 0) end
  else
    redis.call('DEL', h)
    redis.call('SREM', KEYS[1], p)
  end
end
for i = 1, n do
  if sums[i] >= tonumber(ARGV[4 + n + i]) then return i end
end
redis.call('SADD', KEYS[1], ARGV[3])
for i = 1, n do redis.call('HINCRBY', KEYS[2], fields[i], 1) end
return 0
`;

const RELEASE = `
for i = 1, #ARGV do
  if redis.call('HINCRBY', KEYS[1], ARGV[i], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return 0
`;

/** Lua reads numbers as doubles: an unbounded cap is the largest safe integer. */
const cap = (n: number) => (Number.isFinite(n) ? String(n) : "9007199254740991");

export class ProcessCounts {
  /** This process's contribution as admitted (what its hash should hold), to write it again after a lapse. */
  private readonly mine = new Map<string, number>();

  /**
   * `procsKey`: the set of processes that contributed; `hashPrefix`: a process's hash is this
   * followed by its id.
   */
  constructor(
    private readonly cluster: LiveCluster,
    private readonly procsKey: string,
    private readonly hashPrefix: string,
    private readonly onError: (err: unknown) => void,
  ) {
    cluster.onBeatLost(() => void this.rewrite());
  }

  private get ownHash(): string {
    return this.hashPrefix + this.cluster.processId;
  }

  private bump(field: string, d: number): void {
    const n = (this.mine.get(field) ?? 0) + d;
    if (n <= 0) this.mine.delete(field);
    else this.mine.set(field, n);
  }

  /** After this process's heartbeat lapsed, others may have dropped its counts: write them again. */
  private async rewrite(): Promise<void> {
    try {
      const multi = this.cluster.redis.multi().del(this.ownHash);
      if (this.mine.size > 0)
        multi.hset(this.ownHash, Object.fromEntries(this.mine)).sadd(this.procsKey, this.cluster.processId);
      await multi.exec();
    } catch (err) {
      this.onError(err);
    }
  }

  /**
   * Adds one to every field when the cluster-wide sum of each is under its cap; else the index of
   * the first field at its cap (nothing is taken). Rejects when Redis cannot be reached.
   */
  async admit(caps: ReadonlyArray<readonly [field: string, cap: number]>): Promise<{ taken: true } | { full: number }> {
    const { redis, keys, processId } = this.cluster;
    const r = await redis.eval(
      ADMIT,
      2,
      this.procsKey,
      this.ownHash,
      this.hashPrefix,
      keys.alive(""),
      processId,
      caps.length,
      ...caps.map(([f]) => f),
      ...caps.map(([, n]) => cap(n)),
    );
    const full = Number(r);
    if (full > 0) return { full: full - 1 };
    for (const [f] of caps) this.bump(f, 1);
    return { taken: true };
  }

  /** Gives back what an admission took for these fields. */
  release(fields: readonly string[]): void {
    for (const f of fields) this.bump(f, -1);
    this.cluster.redis.eval(RELEASE, 1, this.ownHash, ...fields).catch((err: unknown) => this.onError(err));
  }
}

import type { SharedAdmission, SharedConnectionCounts } from "../../auth/ConnectionGuard.js";
import type { LiveCluster } from "./LiveCluster.js";

/**
 * Open websockets per user and per client address counted over every web process of the scaled
 * mode (`TESSERA_WS_PER_USER`, `TESSERA_WS_PER_ADDRESS` are cluster-wide there). Each process keeps
 * its own contribution in a hash (`tessera:conns:<processId>`: `u:<user>` / `a:<address>` → open
 * sockets); an admission sums the contributions of the processes still beating and, under the
 * limits, adds one to its own — one Lua script, so two processes never both take the last place.
 * A process that died stops beating and its contribution is dropped by the next admission.
 */
const ADMIT = `
local procs = redis.call('SMEMBERS', KEYS[1])
local u, a = 0, 0
for _, p in ipairs(procs) do
  local h = ARGV[1] .. 'conns:' .. p
  if p == ARGV[2] or redis.call('EXISTS', ARGV[1] .. 'live:proc:' .. p) == 1 then
    u = u + tonumber(redis.call('HGET', h, ARGV[3]) or '0')
    a = a + tonumber(redis.call('HGET', h, ARGV[4]) or '0')
  else
    redis.call('DEL', h)
    redis.call('SREM', KEYS[1], p)
  end
end
if u >= tonumber(ARGV[5]) then return 1 end
if a >= tonumber(ARGV[6]) then return 2 end
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
return 0
`;

const RELEASE = `
for i = 1, #ARGV do
  if redis.call('HINCRBY', KEYS[1], ARGV[i], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return 0
`;

const userField = (u: string) => `u:${u}`;
const addressField = (a: string) => `a:${a}`;

export class ClusterConnections implements SharedConnectionCounts {
  /** This process's open sockets as admitted (what its hash should hold), to write it again after a lapse. */
  private readonly mine = new Map<string, number>();

  constructor(
    private readonly cluster: LiveCluster,
    private readonly onError: (err: unknown) => void,
  ) {
    cluster.onBeatLost(() => void this.rewrite());
  }

  private bump(field: string, d: number): void {
    const n = (this.mine.get(field) ?? 0) + d;
    if (n <= 0) this.mine.delete(field);
    else this.mine.set(field, n);
  }

  /** After this process's heartbeat lapsed, others may have dropped its counts: write them again. */
  private async rewrite(): Promise<void> {
    const { redis, keys, processId } = this.cluster;
    try {
      const key = keys.conns(processId);
      const multi = redis.multi().del(key);
      if (this.mine.size > 0) multi.hset(key, Object.fromEntries(this.mine)).sadd(keys.connProcs, processId);
      await multi.exec();
    } catch (err) {
      this.onError(err);
    }
  }

  async admit(
    username: string,
    address: string,
    limits: { perUser: number; perAddress: number },
  ): Promise<SharedAdmission> {
    const { redis, keys, processId } = this.cluster;
    const big = (n: number) => (Number.isFinite(n) ? String(n) : "9007199254740991");
    const r = await redis.eval(
      ADMIT,
      2,
      keys.connProcs,
      keys.conns(processId),
      keys.prefix,
      processId,
      userField(username),
      addressField(address),
      big(limits.perUser),
      big(limits.perAddress),
    );
    if (r === 1) return "user";
    if (r === 2) return "address";
    this.bump(userField(username), 1);
    this.bump(addressField(address), 1);
    return "ok";
  }

  release(username: string, address: string): void {
    this.bump(userField(username), -1);
    this.bump(addressField(address), -1);
    const { redis, keys, processId } = this.cluster;
    redis
      .eval(RELEASE, 1, keys.conns(processId), userField(username), addressField(address))
      .catch((err: unknown) => this.onError(err));
  }
}

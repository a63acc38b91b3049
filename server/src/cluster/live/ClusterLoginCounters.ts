import type { SharedLoginCounters } from "../../auth/LoginGate.js";
import type { LiveCluster } from "./LiveCluster.js";
import { takeToken } from "./tokenBucket.js";

/**
 * The login limits of the scaled mode, in Redis so every process counts the same attempts
 * (`LoginGate`'s address bucket and per-name backoff). Times come from Redis's clock (`TIME`), so
 * processes on machines whose clocks differ agree.
 */

// After `free` failures each further one locks the name for base · 2^k ms (up to max).
const FAILED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free, base, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if n > free then
  redis.call('HSET', KEYS[1], 'until', tostring(now + math.min(max, base * 2 ^ (n - free - 1))))
end
redis.call('PEXPIRE', KEYS[1], max * 2 + 60000)
return n
`;

const WAIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local u = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if u <= now then return 0 end
return math.ceil((u - now) / 1000)
`;

export class ClusterLoginCounters implements SharedLoginCounters {
  constructor(private readonly cluster: LiveCluster) {}

  takeAddress(address: string, burst: number, perMinute: number): Promise<number> {
    return takeToken(this.cluster.redis, this.cluster.keys.loginAddress(address), burst, perMinute);
  }

  async nameWait(name: string): Promise<number> {
    return Number(await this.cluster.redis.eval(WAIT, 1, this.cluster.keys.loginName(name)));
  }

  async failed(name: string, limits: { free: number; baseMs: number; maxMs: number }): Promise<void> {
    await this.cluster.redis.eval(
      FAILED,
      1,
      this.cluster.keys.loginName(name),
      limits.free,
      limits.baseMs,
      limits.maxMs,
    );
  }

  async succeeded(name: string): Promise<void> {
    await this.cluster.redis.del(this.cluster.keys.loginName(name));
  }
}

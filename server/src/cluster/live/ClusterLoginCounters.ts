import type { SharedLoginCounters } from "../../auth/LoginGate.js";
import type { LiveCluster } from "./LiveCluster.js";

/**
 * The login limits of the scaled mode, in Redis so every process counts the same attempts
 * (`LoginGate`'s address bucket and per-name backoff). Times come from Redis's clock (`TIME`), so
 * processes on machines whose clocks differ agree.
 */

// A token bucket: `burst` attempts, refilled at `perMinute`; returns 0 or the seconds to wait.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2]) / 60000
local h = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(h[1]) or burst
local at = tonumber(h[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.max(1, math.ceil((1 - tokens) / rate / 1000)) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
return wait
`;

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

  async takeAddress(address: string, burst: number, perMinute: number): Promise<number> {
    if (burst === Infinity || perMinute === Infinity) return 0;
    const r = await this.cluster.redis.eval(TAKE, 1, this.cluster.keys.loginAddress(address), burst, perMinute);
    return Number(r);
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

import type { Redis } from "ioredis";

/**
 * A token bucket in Redis, shared by every process that takes from it (login attempts, websocket
 * upgrades per client address): `burst` tokens, refilled at `perMinute`. Times come from Redis's
 * clock (`TIME`), so processes on machines whose clocks differ agree; the key expires once full again.
 */
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

/** Takes one token from the bucket at `key`: 0 when granted, else the seconds (≥ 1) until one is available. */
export async function takeToken(redis: Redis, key: string, burst: number, perMinute: number): Promise<number> {
  if (burst === Infinity || perMinute === Infinity) return 0;
  return Number(await redis.eval(TAKE, 1, key, burst, perMinute));
}

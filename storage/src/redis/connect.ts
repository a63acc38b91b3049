import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { RedisKeys } from "./keys.js";

/**
 * An ioredis connection for the scaled mode. Commands issued while the connection is down wait
 * for it (the offline queue) and fail after a few reconnect attempts instead of hanging forever:
 * callers retry (the room's log appends) or report. `name` shows in `CLIENT LIST`. The caller
 * listens for `error` (ioredis emits one per failed reconnect).
 */
export function connectRedis(url: string, name: string): Redis {
  return new Redis(url, { connectionName: name.replace(/\s+/g, "-"), maxRetriesPerRequest: 3 });
}

/** The cluster's shared secret (32 random bytes), created by the first process that asks. */
export async function clusterSecret(redis: Redis, keys: RedisKeys): Promise<Buffer> {
  await redis.set(keys.secret, randomBytes(32), "NX");
  const secret = await redis.getBuffer(keys.secret);
  if (secret === null || secret.length < 32) throw new Error("the cluster secret is missing from Redis");
  return secret;
}

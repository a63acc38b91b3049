import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/** A Lua script run by its SHA, loaded on the first NOSCRIPT (after a Redis restart too). */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

export function luaScript(lua: string): LuaScript {
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

type Arg = string | number | Buffer;

export async function runScript(
  redis: Redis,
  script: LuaScript,
  keys: readonly string[],
  args: readonly Arg[],
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
    return await redis.eval(script.lua, keys.length, ...keys, ...args);
  }
}

import type { Redis } from "ioredis";
import type { RecordKey } from "../types.js";
import { recordTag, type RedisKeys } from "./keys.js";
import { luaScript, runScript } from "./script.js";

/** This process's ownership of one record's room; `value` is what fenced appends compare. */
export interface Lease {
  readonly key: RecordKey;
  readonly processId: string;
  readonly epoch: number;
  /** `${processId}:${epoch}` */
  readonly value: string;
}

export type AcquireResult =
  | { readonly kind: "acquired"; readonly lease: Lease }
  /** Another live process owns the record: forward to it. */
  | { readonly kind: "held"; readonly holder: string };

/**
 * KEYS: lease, epoch. ARGV: processId, leaseMs, heartbeat key prefix.
 * Free, or held by a process whose heartbeat is gone → ours with a new epoch; ours already → renewed.
 */
const ACQUIRE = luaScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local holder = string.match(cur, '^(.*):%d+$')
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, cur}
  end
  if holder and redis.call('EXISTS', ARGV[3] .. holder) == 1 then return {0, holder} end
end
local epoch = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. ':' .. epoch
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return {1, value}
`);

/**
 * KEYS: lease1, epoch1, lease2, epoch2, … ARGV: leaseMs, value1, epoch1, value2, epoch2, …
 * Each lease still ours is extended; one that expired with nobody acquiring it since (the epoch did
 * not move) is set again; one another process took is lost (0).
 */
const RENEW = luaScript(`
local out = {}
for i = 1, #KEYS / 2 do
  local lease, epochKey = KEYS[2 * i - 1], KEYS[2 * i]
  local value, epoch = ARGV[2 * i], ARGV[2 * i + 1]
  local cur = redis.call('GET', lease)
  if cur == value then
    redis.call('PEXPIRE', lease, ARGV[1])
    out[i] = 1
  elseif not cur and redis.call('GET', epochKey) == epoch then
    redis.call('SET', lease, value, 'PX', ARGV[1])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`);

/** KEYS: lease. ARGV: value. */
const RELEASE = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

function parseValue(value: string): { processId: string; epoch: number } | null {
  const at = value.lastIndexOf(":");
  if (at <= 0) return null;
  const epoch = Number(value.slice(at + 1));
  return Number.isSafeInteger(epoch) ? { processId: value.slice(0, at), epoch } : null;
}

/** How many leases one renewal script handles (bounds the script's run time). */
const RENEW_CHUNK = 500;

/**
 * Ownership of open records across processes (docs/ARCHITECTURE.md §6): one lease per record in
 * Redis with a TTL, renewed in one round trip for all of this process's rooms. The epoch is the
 * fencing token: `RedisRecordLog` refuses an append whose lease value is no longer the record's.
 */
export class RecordLeases {
  private readonly held = new Map<string, Lease>();
  private readonly leaseMs: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    readonly processId: string,
    opts: { readonly leaseMs?: number } = {},
  ) {
    this.leaseMs = opts.leaseMs ?? 10_000;
  }

  async acquire(key: RecordKey): Promise<AcquireResult> {
    const reply = (await runScript(
      this.redis,
      ACQUIRE,
      [this.keys.lease(key), this.keys.epoch(key)],
      [this.processId, this.leaseMs, this.keys.proc("")],
    )) as [number, string];
    const [ok, text] = reply;
    if (ok !== 1) return { kind: "held", holder: text };
    const parsed = parseValue(text);
    if (!parsed) throw new Error(`malformed lease value ${JSON.stringify(text)}`);
    const lease: Lease = { key, processId: parsed.processId, epoch: parsed.epoch, value: text };
    this.held.set(recordTag(key), lease);
    return { kind: "acquired", lease };
  }

  /** The lease this process holds on the record (as of the last acquire/renewal), or null. */
  current(key: RecordKey): Lease | null {
    return this.held.get(recordTag(key)) ?? null;
  }

  /** The process holding the record's lease now (null: nobody). */
  async holder(key: RecordKey): Promise<string | null> {
    const value = await this.redis.get(this.keys.lease(key));
    return value === null ? null : (parseValue(value)?.processId ?? null);
  }

  /** Renews every lease held; forgets and returns those another process took. */
  async renewAll(): Promise<RecordKey[]> {
    const leases = [...this.held.values()];
    const lost: RecordKey[] = [];
    for (let i = 0; i < leases.length; i += RENEW_CHUNK) {
      const chunk = leases.slice(i, i + RENEW_CHUNK);
      const keys = chunk.flatMap((l) => [this.keys.lease(l.key), this.keys.epoch(l.key)]);
      const args = chunk.flatMap((l) => [l.value, String(l.epoch)]);
      const flags = (await runScript(this.redis, RENEW, keys, [this.leaseMs, ...args])) as number[];
      chunk.forEach((l, j) => {
        if (flags[j] === 1) return;
        const tag = recordTag(l.key);
        // Only if it is still the lease we renewed (not replaced by a newer acquire meanwhile).
        if (this.held.get(tag) === l) {
          this.held.delete(tag);
          lost.push(l.key);
        }
      });
    }
    return lost;
  }

  /** Gives the record up (only if the lease is still ours). */
  async release(key: RecordKey): Promise<void> {
    const tag = recordTag(key);
    const lease = this.held.get(tag);
    if (!lease) return;
    this.held.delete(tag);
    await runScript(this.redis, RELEASE, [this.keys.lease(key)], [lease.value]);
  }

  /** Renews every `leaseMs / 4`; `onLost` hears of each lease another process took. */
  startRenewing(onLost: (key: RecordKey) => void, onError: (err: Error) => void = () => {}): void {
    if (this.timer) return;
    let running = false;
    this.timer = setInterval(
      () => {
        if (running) return;
        running = true;
        this.renewAll()
          .then((lost) => lost.forEach(onLost))
          .catch((err: unknown) => onError(err instanceof Error ? err : new Error(String(err))))
          .finally(() => {
            running = false;
          });
      },
      Math.max(50, Math.floor(this.leaseMs / 4)),
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

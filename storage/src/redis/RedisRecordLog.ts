import type { Redis } from "ioredis";
import { RecordLogError } from "../errors.js";
import type { LogEntry, LogPosition, RecordKey, RecordLog } from "../types.js";
import { parseRecordTag, recordTag, type RedisKeys } from "./keys.js";
import { luaScript, runScript } from "./script.js";

/**
 * KEYS: lease, pos, log, logs. ARGV: fence ('' = none), update, tag.
 * Fence check, next position, the entry (`<pos>-1`, fields u and t = Redis's clock in ms), the
 * record into the set of logs with entries — atomically, so a fenced owner can never append.
 */
const APPEND = luaScript(`
if ARGV[1] ~= '' then
  local cur = redis.call('GET', KEYS[1])
  if cur ~= ARGV[1] then return redis.error_reply('FENCED ' .. tostring(cur)) end
end
local pos = redis.call('INCR', KEYS[2])
local now = redis.call('TIME')
redis.call('XADD', KEYS[3], pos .. '-1', 'u', ARGV[2], 't', now[1] * 1000 + math.floor(now[2] / 1000))
redis.call('SADD', KEYS[4], ARGV[3])
return pos
`);

/** KEYS: log, logs. ARGV: min id kept, tag. */
const TRIM = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
if redis.call('XLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return 1
`);

export interface RedisRecordLogOptions {
  /**
   * The lease value an append must still find on the record (docs/ARCHITECTURE.md §6 "fenced
   * appends"); null refuses the append. Absent: appends are not fenced (persist workers, tests).
   */
  readonly fence?: (key: RecordKey) => string | null;
}

type StreamEntry = [Buffer, Buffer[]];

function positionOf(id: Buffer): LogPosition {
  const text = id.toString("latin1");
  const dash = text.indexOf("-");
  return Number(dash < 0 ? text : text.slice(0, dash));
}

function updateOf(fields: readonly Buffer[]): Uint8Array | null {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString("latin1") === "u") return fields[i + 1]!;
  return null;
}

/**
 * The write-ahead log of the scaled mode (`RecordLog` port, docs/ARCHITECTURE.md §6): one Redis
 * stream per record, positions from a per-record counter, entry ids `<pos>-1`. An append resolves
 * once Redis replied, which with `appendonly yes` + `appendfsync always` means the AOF was
 * fsync'd (Redis fsyncs once per event-loop turn for every write of the turn: group commit).
 * Shares the caller's connection; `close` only stops this instance.
 */
export class RedisRecordLog implements RecordLog {
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly opts: RedisRecordLogOptions = {},
  ) {}

  private open(): void {
    if (this.closed) throw new RecordLogError("closed", "the record log is closed");
  }

  async append(key: RecordKey, update: Uint8Array): Promise<LogPosition> {
    this.open();
    let fence = "";
    if (this.opts.fence) {
      const value = this.opts.fence(key);
      if (value === null) throw new RecordLogError("fenced", `this process holds no lease on ${recordTag(key)}`);
      fence = value;
    }
    const k = this.keys;
    try {
      const pos = await runScript(
        this.redis,
        APPEND,
        [k.lease(key), k.pos(key), k.log(key), k.logs],
        [fence, Buffer.from(update.buffer, update.byteOffset, update.byteLength), recordTag(key)],
      );
      return Number(pos);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("FENCED"))
        throw new RecordLogError("fenced", `the lease on ${recordTag(key)} is no longer this process's`, {
          cause: err,
        });
      throw new RecordLogError("io", `append to the Redis log failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async read(key: RecordKey, after: LogPosition = 0): Promise<LogEntry[]> {
    this.open();
    let entries: StreamEntry[];
    try {
      entries = (await this.redis.xrangeBuffer(this.keys.log(key), `${after + 1}-0`, "+")) as unknown as StreamEntry[];
    } catch (err) {
      throw new RecordLogError("io", `read of the Redis log failed: ${(err as Error).message}`, { cause: err });
    }
    const out: LogEntry[] = [];
    for (const [id, fields] of entries) {
      const update = updateOf(fields);
      if (update === null)
        throw new RecordLogError("corrupt", `entry ${id.toString("latin1")} of ${recordTag(key)} has no update`);
      out.push({ pos: positionOf(id), update: new Uint8Array(update.buffer, update.byteOffset, update.byteLength) });
    }
    return out;
  }

  async trim(key: RecordKey, upTo: LogPosition): Promise<void> {
    this.open();
    if (upTo <= 0) return;
    try {
      await runScript(this.redis, TRIM, [this.keys.log(key), this.keys.logs], [`${upTo + 1}-0`, recordTag(key)]);
    } catch (err) {
      throw new RecordLogError("io", `trim of the Redis log failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async pending(): Promise<RecordKey[]> {
    this.open();
    const tags = await this.redis.smembers(this.keys.logs);
    const out: RecordKey[] = [];
    for (const tag of tags) {
      try {
        out.push(parseRecordTag(tag));
      } catch (err) {
        if (!(err instanceof TypeError) && !(err instanceof URIError)) throw err;
        // A member no tag function wrote: not a record of ours; leave it to whoever wrote it.
      }
    }
    return out;
  }

  /** The time (ms, Redis's clock) the record's oldest unfolded entry was appended, or null when none. */
  async oldestEntryAt(key: RecordKey): Promise<number | null> {
    this.open();
    const first = (await this.redis.xrangeBuffer(this.keys.log(key), "-", "+", "COUNT", 1)) as unknown as StreamEntry[];
    const fields = first[0]?.[1];
    if (!fields) return null;
    for (let i = 0; i + 1 < fields.length; i += 2)
      if (fields[i]!.toString("latin1") === "t") return Number(fields[i + 1]!.toString("latin1"));
    return null;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

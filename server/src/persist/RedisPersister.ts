import type { Redis } from "ioredis";
import { parsePersistJobResult, persistJobEntry, type PersistJobResult } from "@tessera/shared-crdt";
import { recordTag, type RecordKey, type RedisKeys } from "@tessera/storage";
import { silentLogger, type Logger } from "../logger.js";
import { systemClock, type Clock, type TimerHandle } from "../sync/clock.js";
import { PersistError } from "./PersistError.js";
import type { FlushResult, Persister } from "./types.js";

export interface RedisPersisterOptions {
  /** A command connection (shared with the rest of the process): XADD goes through it. */
  readonly redis: Redis;
  /** A connection of this persister's own, put in subscriber mode on `keys.done(processId)`. */
  readonly subscriber: Redis;
  readonly keys: RedisKeys;
  /** This web process's id (`ProcessRegistry.processId`): the jobs' `reply`. */
  readonly processId: string;
  /**
   * A job with no result after this long fails its flushes with `timeout` (default 120 s); the room's
   * flush scheduler asks again. A job whose worker died is claimed by another after its idle time
   * (15 s by default), well within it.
   */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

interface Waiter {
  readonly resolve: (r: FlushResult) => void;
  readonly reject: (e: PersistError) => void;
}

interface Job {
  readonly id: string;
  readonly tag: string;
  readonly waiters: Waiter[];
  timer: TimerHandle | null;
}

/** Per record: the job in flight, and the flushes asked meanwhile (they share the next job). */
interface Slot {
  current: Job;
  next: Waiter[];
}

/**
 * The `Persister` port in scaled mode (docs/ARCHITECTURE.md §6): `flush(key)` XADDs a job
 * `{tag, upTo: "latest", reply: processId, id}` to `keys.jobs`, where the persist workers (a consumer
 * group) fold it, trim the record's stream and publish the `FlushResult` on `keys.done(processId)`,
 * which this persister subscribes to (one subscriber connection per process). A record has at most
 * one job of this process in flight: flushes asked while it runs share the next one, sent when it
 * settles — never the running one, which may have read the log before their entries. A job whose
 * worker died is claimed by another worker, so the flush just waits, up to `timeoutMs`
 * (`PersistError("timeout")`). Wiring: `new RedisPersister({ redis, subscriber, keys, processId })`;
 * `close()` fails what is pending with `closed` and unsubscribes (the connections stay the caller's).
 */
export class RedisPersister implements Persister {
  private readonly slots = new Map<string, Slot>();
  private readonly jobs = new Map<string, Job>();
  private readonly channel: string;
  private readonly subscribed: Promise<void>;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private seq = 0;
  private closed = false;

  constructor(private readonly options: RedisPersisterOptions) {
    this.channel = options.keys.done(options.processId);
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    options.subscriber.on("message", this.onMessage);
    this.subscribed = options.subscriber.subscribe(this.channel).then(() => undefined);
    // Awaited by every flush; without this a failure before the first flush would be unhandled.
    this.subscribed.catch((err: unknown) =>
      this.logger.error("cannot subscribe to the persist results channel", { error: String(err) }),
    );
  }

  flush(key: RecordKey): Promise<FlushResult> {
    if (this.closed) return Promise.reject(new PersistError("closed", "the persister is closed"));
    const tag = recordTag(key);
    return new Promise<FlushResult>((resolve, reject) => {
      const waiter = { resolve, reject };
      const slot = this.slots.get(tag);
      if (slot) slot.next.push(waiter);
      else this.send(tag, [waiter]);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of [...this.jobs.values()]) this.settle(job, new PersistError("closed", "the persister is closed"));
    this.options.subscriber.off("message", this.onMessage);
    await this.options.subscriber.unsubscribe(this.channel).catch((err: unknown) => {
      this.logger.warn("unsubscribing from the persist results channel failed", { error: String(err) });
    });
  }

  private send(tag: string, waiters: Waiter[]): void {
    const job: Job = { id: String(++this.seq), tag, waiters, timer: null };
    this.jobs.set(job.id, job);
    this.slots.set(tag, { current: job, next: [] });
    job.timer = this.clock.after(this.timeoutMs, () =>
      this.settle(job, new PersistError("timeout", `no fold result for ${tag} after ${this.timeoutMs} ms`)),
    );
    this.subscribed
      .then(() =>
        this.options.redis.call(
          "XADD",
          this.options.keys.jobs,
          "*",
          ...persistJobEntry({ tag, upTo: "latest", reply: this.options.processId, id: job.id }),
        ),
      )
      .catch((err: unknown) =>
        this.settle(
          job,
          new PersistError("unavailable", `cannot queue the fold of ${tag}: ${errorText(err)}`, { cause: err }),
        ),
      );
  }

  private readonly onMessage = (channel: string, text: string): void => {
    if (channel !== this.channel) return;
    const result = parsePersistJobResult(text);
    if (!result) {
      this.logger.warn("ignoring a malformed persist result", { message: text.slice(0, 200) });
      return;
    }
    const job = this.jobs.get(result.id);
    // Late (timed out, closed) or a second worker's answer to a job claimed twice: already settled.
    if (!job || job.tag !== result.tag) return;
    this.settle(job, result);
  };

  private settle(job: Job, outcome: PersistJobResult | PersistError): void {
    if (!this.jobs.delete(job.id)) return;
    job.timer?.cancel();
    for (const w of job.waiters) {
      if (outcome instanceof PersistError) w.reject(outcome);
      else if ("error" in outcome) w.reject(new PersistError("failed", `fold of ${job.tag} failed: ${outcome.error}`));
      else
        w.resolve({
          upTo: outcome.upTo,
          rowsWritten: outcome.rowsWritten,
          rowsDeleted: outcome.rowsDeleted,
          statusChanged: outcome.statusChanged,
        });
    }
    const slot = this.slots.get(job.tag);
    if (slot?.current !== job) return;
    this.slots.delete(job.tag);
    if (slot.next.length === 0) return;
    if (this.closed) for (const w of slot.next) w.reject(new PersistError("closed", "the persister is closed"));
    else this.send(job.tag, slot.next);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

import {
  RecordLogError,
  type LogPosition,
  type RecordKey,
  type RecordLog,
  type RecordLogErrorReason,
} from "@tessera/storage";
import type { Logger } from "../logger.js";
import { delay, type Clock } from "./clock.js";
import { backoffMs, type SyncLimits } from "./limits.js";

const PERMANENT: ReadonlySet<RecordLogErrorReason> = new Set(["closed", "read_only", "too_large", "fenced"]);

/**
 * The write-ahead side of one room: every update of the document is appended to the record's log
 * as it happens (appends issued back to back share an fsync in the file log). A failed append is
 * retried with backoff until it succeeds — an update in memory that never reaches the log would
 * be lost on a crash — and nobody is told "saved" before that. `barrier()` is what a confirmation
 * waits for: every append issued so far.
 */
export class DurableLog {
  /**
   * Resolves once every append issued so far settled: true when all of them are durable. One link
   * per append (O(1) work each), so a burst of appends never makes a barrier cost its length.
   * Reset when nothing is in flight, so a refused append does not taint later, unrelated ones.
   */
  private tail: Promise<boolean> = Promise.resolve(true);
  private inFlight = 0;
  private highest: LogPosition = 0;
  private aborted = false;

  constructor(
    private readonly log: RecordLog,
    private readonly key: RecordKey,
    private readonly clock: Clock,
    private readonly limits: SyncLimits,
    private readonly logger: Logger,
  ) {}

  /** Highest log position appended by this room (0 = none yet). */
  get lastPosition(): LogPosition {
    return this.highest;
  }

  get idle(): boolean {
    return this.inFlight === 0;
  }

  append(update: Uint8Array): Promise<boolean> {
    if (this.inFlight === 0) this.tail = Promise.resolve(true);
    this.inFlight++;
    const p = this.appendUntilDurable(update).then((ok) => {
      this.inFlight--;
      return ok;
    });
    const before = this.tail;
    this.tail = before.then((earlier) => p.then((mine) => earlier && mine));
    return p;
  }

  private async appendUntilDurable(update: Uint8Array): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        const pos = await this.log.append(this.key, update);
        if (pos > this.highest) this.highest = pos;
        return true;
      } catch (err) {
        if (err instanceof RecordLogError && PERMANENT.has(err.reason)) {
          // Retrying cannot help (log closed, read-only, entry over its cap): the update stays
          // unconfirmed, so no client is ever told it is saved.
          this.logger.error("update cannot be appended to the log", {
            ...this.key,
            bytes: update.length,
            reason: err.reason,
            error: err.message,
          });
          return false;
        }
        if (this.aborted) {
          this.logger.error("update not appended to the log at shutdown", {
            ...this.key,
            bytes: update.length,
            error: (err as Error).message,
          });
          return false;
        }
        const wait = backoffMs(this.limits, attempt);
        // Retrying is safe: Yjs updates are idempotent, and a torn tail entry is ignored on read.
        this.logger.error("log append failed; retrying", {
          ...this.key,
          attempt,
          retryInMs: wait,
          error: (err as Error).message,
        });
        await delay(this.clock, wait);
      }
    }
  }

  /** Resolves once every append issued so far is durable (true), or was given up at shutdown (false). */
  barrier(): Promise<boolean> {
    return this.inFlight === 0 ? Promise.resolve(true) : this.tail;
  }

  /** Stops retrying (shutdown): appends still failing resolve false. */
  abort(): void {
    this.aborted = true;
  }
}

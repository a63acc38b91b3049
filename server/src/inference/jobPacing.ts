import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn, setTimeout as after } from "node:timers/promises";
import { lastClientFrameTime, queuedClientFrames } from "../sync/IntakeQueue.js";

/** The longest a job record waits for editors' queued frames (the job keeps moving under a flood). */
export const EDITORS_FIRST_MAX_WAIT_MS = 50;

export interface EditorsFirstOptions {
  /** Client frames waiting to be handled (default: every connection's intake of the process). */
  readonly pending?: () => number;
  readonly maxWaitMs?: number;
}

/**
 * Lets editors go before a background job's next document write: yields one turn of the event
 * loop (socket reads that arrived meanwhile are read and queued), then waits while client frames
 * are queued in any intake, at most `maxWaitMs`. Resolves with the milliseconds waited.
 */
export async function editorsFirst(options: EditorsFirstOptions = {}): Promise<number> {
  const pending = options.pending ?? queuedClientFrames;
  const maxWaitMs = options.maxWaitMs ?? EDITORS_FIRST_MAX_WAIT_MS;
  const t0 = performance.now();
  await nextTurn();
  // Intakes drain one batch per turn (or rest a slice after a long one): a 1 ms timer covers both
  // without spinning the loop.
  while (pending() > 0 && performance.now() - t0 < maxWaitMs) await after(1);
  return performance.now() - t0;
}

export interface JobPacingOptions extends EditorsFirstOptions {
  /** When the last client frame arrived, in `now()` time (default: the process's intakes). */
  readonly lastClientFrame?: () => number;
  readonly now?: () => number;
  /** Editors count as active this long after their last frame (default 1 s). */
  readonly activeWindowMs?: number;
  /** While editors are active the job rests this many times its last write (default 3: ≤ ¼ of the main thread). */
  readonly restFactor?: number;
  /** The longest rest before one write (default 250 ms). */
  readonly maxRestMs?: number;
  readonly rest?: (ms: number) => Promise<unknown>;
  /** The event loop's busy time so far, ms (default: `performance.eventLoopUtilization().active`). */
  readonly loopBusy?: () => number;
  /** While editors are active a batch rests this many times the loop's busy time during the previous one (default 29: ≤ 1/30 of the thread). */
  readonly batchRestFactor?: number;
  /** The longest rest before one batch (default 2 s). */
  readonly maxBatchRestMs?: number;
}

const loopBusyMs = (): number => performance.eventLoopUtilization().active;

/**
 * The pace of one background job's document writes on the main thread. While people are editing
 * (a client frame in the last `activeWindowMs`), the job rests `restFactor` times its previous
 * write before the next one, so it takes at most about 1 / (1 + restFactor) of the event loop and
 * an editor's frame rarely lands behind one of its writes; then queued editors go first
 * ({@link editorsFirst}). Nobody editing: the job writes at full speed.
 */
export class JobPacing {
  private lastWriteMs = 0;
  private batchBusyAt: number | null = null;

  constructor(private readonly options: JobPacingOptions = {}) {}

  /** Whether a client frame arrived within the active window. */
  editorsActive(): boolean {
    const now = (this.options.now ?? (() => performance.now()))();
    const last = (this.options.lastClientFrame ?? lastClientFrameTime)();
    return now - last < (this.options.activeWindowMs ?? 1000);
  }

  /** Waits before the next write; resolves with the rest taken (ms, 0 when nobody edits). */
  async beforeWrite(): Promise<number> {
    let rested = 0;
    if (this.lastWriteMs > 0 && this.editorsActive()) {
      rested = Math.min(this.options.maxRestMs ?? 250, this.lastWriteMs * (this.options.restFactor ?? 3));
      if (rested > 0) await (this.options.rest ?? after)(rested);
    }
    await editorsFirst(this.options);
    return rested;
  }

  /**
   * Waits before a job's next batch of records (its reads, detections and writes). While people
   * edit, the batch rests `batchRestFactor` times the event loop's busy time since the previous
   * batch began — the job's reads, loads, writes and log appends, and whatever ran beside them —
   * so the job keeps a bounded share of the thread however its work is spread over callbacks.
   * Resolves with the rest taken (ms).
   */
  async beforeBatch(): Promise<number> {
    const busy = this.options.loopBusy ?? loopBusyMs;
    let rested = 0;
    if (this.batchBusyAt !== null && this.editorsActive()) {
      const spent = busy() - this.batchBusyAt;
      rested = Math.min(this.options.maxBatchRestMs ?? 2000, spent * (this.options.batchRestFactor ?? 29));
      if (rested > 0) await (this.options.rest ?? after)(rested);
    }
    this.batchBusyAt = busy();
    return rested;
  }

  /** Times one write: the rest before the next one is proportional to it. */
  async write<T>(fn: () => Promise<T>): Promise<T> {
    const now = this.options.now ?? (() => performance.now());
    const t0 = now();
    try {
      return await fn();
    } finally {
      this.wrote(now() - t0);
    }
  }

  /** A write timed by its caller took `ms`: the rest before the next one is proportional to it. */
  wrote(ms: number): void {
    this.lastWriteMs = ms;
  }
}

import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn, setTimeout as after } from "node:timers/promises";
import { queuedClientFrames } from "../../sync/IntakeQueue.js";

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

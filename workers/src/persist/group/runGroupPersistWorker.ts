import { GroupPersistWorker, type GroupPersistWorkerOptions } from "./GroupPersistWorker.js";

export interface RunGroupPersistWorkerOptions extends GroupPersistWorkerOptions {
  /** Aborted: stop after the folds under way (queued jobs are left to the group). */
  readonly signal: AbortSignal;
  /** Called once the worker consumes jobs, with its process id. */
  readonly onReady?: (processId: string) => void;
}

/**
 * Runs one persist worker of the scaled mode until `signal` aborts (docs/ARCHITECTURE.md §6): the
 * process entry (`main.ts`, `tessera persist run`) and tests call it.
 */
export async function runGroupPersistWorker(options: RunGroupPersistWorkerOptions): Promise<void> {
  const worker = new GroupPersistWorker(options);
  const aborted = new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await worker.start();
  options.onReady?.(worker.processId);
  await aborted;
  await worker.stop();
}

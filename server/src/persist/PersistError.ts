/**
 * Why a flush did not complete. `failed`: the persist itself failed (the worker's message says
 * why; retry later). `worker_crashed`: the worker died on this flush too many times. `unavailable`:
 * the worker cannot be started. `timeout`: no answer in time (the flush may still complete).
 * `closed`: the persister was closed.
 */
export type PersistErrorReason = "failed" | "worker_crashed" | "unavailable" | "timeout" | "closed";

export class PersistError extends Error {
  override name = "PersistError";
  constructor(
    readonly reason: PersistErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

import { performance } from "node:perf_hooks";
/**
 * Time as the sync endpoint sees it. Rooms debounce flushes, coalesce awareness, back off on
 * failed appends and ping sockets; tests inject a clock so they can drive those timers instead of
 * sleeping. Every timer a room starts is cancelled when the room unloads.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds (timestamps, rate windows). */
  now(): number;
  /** Monotonic milliseconds with sub-millisecond resolution, for measuring work (intake time slices). */
  elapsed(): number;
  /** Runs `fn` once after `ms`. The handle cancels it. */
  after(ms: number, fn: () => void): TimerHandle;
}

/** Wall-clock timers, unref'd so a forgotten timer never keeps the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  elapsed: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Repeats `fn` every `ms` until the handle is cancelled. */
export function every(clock: Clock, ms: number, fn: () => void): TimerHandle {
  let current: TimerHandle | null = null;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    fn();
    if (!stopped) current = clock.after(ms, tick);
  };
  current = clock.after(ms, tick);
  return {
    cancel() {
      stopped = true;
      current?.cancel();
    },
  };
}

/** Resolves after `ms` on `clock` (backoff between retries). */
export function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.after(ms, resolve));
}

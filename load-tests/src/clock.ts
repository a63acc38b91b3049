/**
 * The one clock every benchmark process stamps and reads latencies with: `CLOCK_MONOTONIC`
 * (`process.hrtime`), which Linux shares between processes, so a timestamp written into a
 * document by a bot process can be subtracted from the time an observer process sees it.
 * Milliseconds as a float (µs precision).
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Resolves after `ms` (benchmarks pace themselves; tests never use this). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it is true or `timeoutMs` passed; resolves whether it became true. */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (nowMs() > deadline) return false;
    await sleep(everyMs);
  }
}

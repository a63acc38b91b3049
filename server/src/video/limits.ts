/**
 * The bounds of video decoding: how many ffmpeg processes run at once and how many requests may
 * wait for one (past that a request is refused at once rather than queued without end), and a
 * byte-bounded least-recently-used cache of decoded frames.
 */

export class DecoderBusyError extends Error {
  override readonly name = "DecoderBusyError";
}

export class AbortedError extends Error {
  override readonly name = "AbortedError";
}

/** A counting semaphore with a bounded queue; a waiter whose signal aborts leaves the queue. */
export class Limiter {
  private running = 0;
  private readonly waiting: Array<{ go: () => void }> = [];

  constructor(
    readonly maxRunning: number,
    readonly maxWaiting: number,
  ) {}

  get active(): number {
    return this.running;
  }

  async acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) throw new AbortedError("the request went away");
    if (this.running < this.maxRunning) {
      this.running++;
      return this.releaser();
    }
    if (this.waiting.length >= this.maxWaiting)
      throw new DecoderBusyError(`${this.maxRunning} videos are being decoded and ${this.maxWaiting} requests wait`);
    await new Promise<void>((resolve, reject) => {
      const entry = {
        go: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AbortedError("the request went away"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(entry);
    });
    // The releasing holder handed its place over: `running` did not go down.
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.go();
      else this.running--;
    };
  }
}

/** Least-recently-used byte cache (Map order is recency: the oldest entry first). */
export class ByteLru {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): Buffer | undefined {
    const v = this.entries.get(key);
    if (v) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  set(key: string, value: Buffer): void {
    if (value.length > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.length;
      this.entries.delete(key);
    }
    this.entries.set(key, value);
    this.bytes += value.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }

  get size(): number {
    return this.bytes;
  }
}

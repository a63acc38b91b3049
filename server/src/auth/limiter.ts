/**
 * Rate limits of the auth layer: a token bucket per key (attempts per client address), a failure
 * backoff per key (login attempts per username), and bounded maps so an attacker cycling through
 * keys cannot grow memory without end (the oldest entries go first).
 */

export type Now = () => number;

/** A map that forgets its oldest entries beyond `max`. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}

/** `burst` attempts at once, refilled at `perSecond`; {@link TokenBuckets.take} says how long to wait when empty. */
export class TokenBuckets {
  private readonly buckets: BoundedMap<string, { tokens: number; at: number }>;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: Now,
    maxKeys = 50_000,
  ) {
    this.buckets = new BoundedMap(maxKeys);
  }

  /** Takes one token for `key`: 0 when granted, else the seconds (≥ 1) until one is available. */
  take(key: string): number {
    if (this.burst === Infinity) return 0;
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }
}

/** After `free` failures, each further one locks the key for `baseMs · 2^k`, up to `maxMs`; a success clears it. */
export class FailureBackoff {
  private readonly state: BoundedMap<string, { failures: number; lockedUntil: number }>;

  constructor(
    private readonly free: number,
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly now: Now,
    maxKeys = 50_000,
  ) {
    this.state = new BoundedMap(maxKeys);
  }

  /** Seconds until `key` may try again (0: now). */
  wait(key: string): number {
    const s = this.state.get(key);
    if (!s) return 0;
    const ms = s.lockedUntil - this.now();
    return ms > 0 ? Math.ceil(ms / 1000) : 0;
  }

  failed(key: string): void {
    const s = this.state.get(key) ?? { failures: 0, lockedUntil: 0 };
    s.failures += 1;
    if (s.failures > this.free)
      s.lockedUntil = this.now() + Math.min(this.maxMs, this.baseMs * 2 ** (s.failures - this.free - 1));
    this.state.set(key, s);
  }

  succeeded(key: string): void {
    this.state.delete(key);
  }
}

/** At most `max` tasks at once and `queue` waiting; beyond that {@link Semaphore.acquire} answers null at once. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly queue: number,
  ) {}

  acquire(): Promise<() => void> | null {
    const release = () => {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(release);
    }
    if (this.waiting.length >= this.queue) return null;
    return new Promise((resolve) => this.waiting.push(() => resolve(release)));
  }
}

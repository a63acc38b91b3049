import type { Logger } from "../logger.js";
import type { Clock, TimerHandle } from "./clock.js";
import { backoffMs, type SyncLimits } from "./limits.js";

/**
 * When a room asks the persister to fold its log into the snapshot and the rows: debounced after
 * edits (`flushDebounceMs` after the last one, at most `flushMaxWaitMs` after the first unflushed
 * one), at once on demand (the last client left, shutdown), one flush at a time, and a failed
 * flush is retried with backoff — never dropped: the log keeps the updates until it succeeds.
 */
export class FlushScheduler {
  /** Bumped on every touch; a flush started at generation g covers everything up to g. */
  private generation = 0;
  private flushedGeneration = 0;
  private firstUnflushedAt: number | null = null;
  private lastTouchAt = 0;
  private timer: TimerHandle | null = null;
  private running: Promise<boolean> | null = null;
  private failures = 0;
  private disposed = false;
  private readonly waiters: Array<{ generation: number; resolve: (ok: boolean) => void }> = [];

  constructor(
    private readonly clock: Clock,
    private readonly limits: SyncLimits,
    private readonly run: () => Promise<void>,
    private readonly logger: Logger,
    private readonly context: Readonly<Record<string, unknown>>,
  ) {}

  /** True while something is not yet flushed. */
  get dirty(): boolean {
    return this.generation > this.flushedGeneration;
  }

  /** Something changed: (re)arm the debounce. */
  touch(): void {
    if (this.disposed) return;
    this.generation++;
    const now = this.clock.now();
    this.lastTouchAt = now;
    this.firstUnflushedAt ??= now;
    if (this.failures === 0) this.arm();
  }

  private arm(): void {
    if (this.running || this.disposed || !this.dirty) return;
    const first = this.firstUnflushedAt ?? this.clock.now();
    const at = Math.min(this.lastTouchAt + this.limits.flushDebounceMs, first + this.limits.flushMaxWaitMs);
    this.timer?.cancel();
    this.timer = this.clock.after(Math.max(0, at - this.clock.now()), () => {
      this.timer = null;
      void this.start();
    });
  }

  private start(): Promise<boolean> {
    if (this.running) return this.running;
    this.timer?.cancel();
    this.timer = null;
    const target = this.generation;
    this.firstUnflushedAt = null;
    this.running = this.run().then(
      () => {
        this.running = null;
        this.failures = 0;
        this.flushedGeneration = Math.max(this.flushedGeneration, target);
        this.settleWaiters();
        if (this.dirty) {
          this.firstUnflushedAt ??= this.clock.now();
          this.arm();
        }
        return true;
      },
      (err: unknown) => {
        this.running = null;
        this.failures++;
        this.firstUnflushedAt ??= this.clock.now();
        const wait = backoffMs(this.limits, this.failures);
        this.logger.error("flush failed; retrying", {
          ...this.context,
          attempt: this.failures,
          retryInMs: wait,
          error: (err as Error).message,
        });
        if (!this.disposed) {
          this.timer = this.clock.after(wait, () => {
            this.timer = null;
            void this.start();
          });
        } else {
          this.settleWaiters(false);
        }
        return false;
      },
    );
    return this.running;
  }

  private settleWaiters(failed?: false): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (!w) continue;
      if (failed === false || w.generation <= this.flushedGeneration) {
        this.waiters.splice(i, 1);
        w.resolve(failed !== false);
      }
    }
  }

  /**
   * Flushes now (joining a flush in progress, then running another if touches came after it
   * started) and resolves true once everything touched before the call is flushed. Retries until
   * then; resolves false only if the scheduler is disposed first.
   */
  flushNow(): Promise<boolean> {
    if (this.disposed) return Promise.resolve(false);
    if (!this.dirty) return Promise.resolve(true);
    const generation = this.generation;
    const done = new Promise<boolean>((resolve) => this.waiters.push({ generation, resolve }));
    if (this.running) {
      void this.running.then(() => {
        if (this.flushedGeneration < generation && this.failures === 0) void this.start();
      });
    } else if (this.failures === 0) {
      void this.start();
    }
    // After a failure the backoff timer is already armed and will retry.
    return done;
  }

  /** One attempt (shutdown): true when everything touched so far is flushed. */
  async flushOnce(): Promise<boolean> {
    if (this.running) await this.running;
    if (!this.dirty) return true;
    this.timer?.cancel();
    this.timer = null;
    return this.start();
  }

  /** Resolves once no flush is running (after `dispose`, none starts again). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  dispose(): void {
    this.disposed = true;
    this.timer?.cancel();
    this.timer = null;
    this.settleWaiters(false);
  }
}

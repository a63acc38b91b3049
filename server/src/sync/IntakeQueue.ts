import type { SyncLimits } from "./limits.js";

/** What the queue drives on its connection. */
export interface IntakeSink {
  /** Handles frames in the order they came; called with at most `intakeBatchFrames` at a time. */
  handle(frames: readonly Uint8Array[]): void;
  /** Stop / restart reading the socket (TCP back-pressure on the sender). */
  pause(): void;
  resume(): void;
  /** The hard bound was passed: the connection must be closed. */
  overflow(frames: number, bytes: number): void;
}

export type IntakeLimits = Pick<SyncLimits, "intakePauseFrames" | "intakePauseBytes" | "maxPendingFrames" | "maxPendingBytes" | "intakeBatchFrames">;

/**
 * The bounded intake of one connection (collaboration.md §3 "update flood"). Frames are queued as
 * they arrive and handed over in batches — the first batch once the current burst of socket events
 * is over (a microtask), later ones one per turn of the event loop, so a connection that sends
 * thousands of frames back to back shares the process with everyone else. The backlog counts
 * items and bytes: the queued frames plus the updates applied but not yet durable
 * ({@link hold}/{@link release}). Past the pause bound the socket is no longer read until the
 * backlog halves; frames still past the hard bound (a socket chunk already read) close the
 * connection.
 */
export class IntakeQueue {
  private frames: Uint8Array[] = [];
  private head = 0;
  private queuedBytes = 0;
  private heldItems = 0;
  private heldBytes = 0;
  private paused = false;
  private scheduled = false;
  private open = true;
  private ready = false;

  constructor(
    private readonly limits: IntakeLimits,
    private readonly sink: IntakeSink,
  ) {}

  get queuedFrames(): number {
    return this.frames.length - this.head;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Queues one frame; false when it passed the hard bound (the sink was told to close). */
  push(frame: Uint8Array): boolean {
    if (!this.open) return false;
    this.frames.push(frame);
    this.queuedBytes += frame.length;
    if (this.queuedFrames > this.limits.maxPendingFrames || this.queuedBytes > this.limits.maxPendingBytes) {
      const frames = this.queuedFrames;
      const bytes = this.queuedBytes;
      this.stop();
      this.sink.overflow(frames, bytes);
      return false;
    }
    this.adjust();
    this.schedule(false);
    return true;
  }

  /** The connection's room is ready: queued frames start to be handled. */
  start(): void {
    if (!this.open || this.ready) return;
    this.ready = true;
    this.schedule(false);
  }

  /** Counts an applied update until it is durable (its confirmation was sent or given up). */
  hold(items: number, bytes: number): void {
    this.heldItems += items;
    this.heldBytes += bytes;
    this.adjust();
  }

  release(items: number, bytes: number): void {
    this.heldItems -= items;
    this.heldBytes -= bytes;
    this.adjust();
  }

  /** Drops everything (the connection closed). */
  stop(): void {
    this.open = false;
    this.frames = [];
    this.head = 0;
    this.queuedBytes = 0;
  }

  private backlog(): { items: number; bytes: number } {
    return { items: this.queuedFrames + this.heldItems, bytes: this.queuedBytes + this.heldBytes };
  }

  private adjust(): void {
    if (!this.open) return;
    const { items, bytes } = this.backlog();
    if (!this.paused && (items > this.limits.intakePauseFrames || bytes > this.limits.intakePauseBytes)) {
      this.paused = true;
      this.sink.pause();
    } else if (this.paused && items <= this.limits.intakePauseFrames / 2 && bytes <= this.limits.intakePauseBytes / 2) {
      this.paused = false;
      this.sink.resume();
    }
  }

  private schedule(yieldFirst: boolean): void {
    if (this.scheduled || !this.ready || !this.open || this.queuedFrames === 0) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.drainOnce();
    };
    if (yieldFirst) setImmediate(run);
    else queueMicrotask(run);
  }

  private drainOnce(): void {
    if (!this.open) return;
    const end = Math.min(this.frames.length, this.head + Math.max(1, this.limits.intakeBatchFrames));
    const batch = this.frames.slice(this.head, end);
    this.head = end;
    for (const f of batch) this.queuedBytes -= f.length;
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    this.sink.handle(batch);
    this.adjust();
    this.schedule(true);
  }
}

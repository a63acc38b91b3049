import { performance } from "node:perf_hooks";
import type { Clock } from "./clock.js";
import type { SyncLimits } from "./limits.js";

/** What the queue drives on its connection. */
export interface IntakeSink {
  /**
   * Handles frames in the order they came (at most `intakeBatchFrames` at a time), stopping once
   * the clock's `elapsed()` passes `deadline`; returns how many it handled (at least one). The rest
   * are handed over again on the next turn.
   */
  handle(frames: readonly Uint8Array[], deadline: number): number;
  /** Stop / restart reading the socket (TCP back-pressure on the sender). */
  pause(): void;
  resume(): void;
  /** The hard bound was passed: the connection must be closed. */
  overflow(frames: number, bytes: number): void;
}

export type IntakeLimits = Pick<
  SyncLimits,
  | "intakePauseFrames"
  | "intakePauseBytes"
  | "maxPendingFrames"
  | "maxPendingBytes"
  | "intakeBatchFrames"
  | "intakeSliceMs"
>;

/** Client frames queued, ready to be handled, in every connection's intake of the process. */
let readyFramesEverywhere = 0;

/**
 * How many client frames wait in the intakes of connections whose room is ready: work that
 * background jobs let go first (see the pre-annotation job's "editors first" gate).
 */
export function queuedClientFrames(): number {
  return readyFramesEverywhere;
}

/** When (`performance.now()`) the process last received a client frame in any intake. */
let lastClientFrameAt = Number.NEGATIVE_INFINITY;

/** When the last client frame arrived (`performance.now()` time): whether people are editing right now. */
export function lastClientFrameTime(): number {
  return lastClientFrameAt;
}

/**
 * The bounded intake of one connection (collaboration.md §3 "update flood"). Frames are queued as
 * they arrive and handed over in batches — the first batch once the current burst of socket events
 * is over (a microtask), later ones one per turn of the event loop, so a connection that sends
 * thousands of frames back to back shares the process with everyone else. A batch takes at most
 * about `intakeSliceMs` (and `intakeBatchFrames` frames); after a batch that used its whole slice
 * the connection rests as long before the next one, so one flooding connection gets at most about
 * half of the process and the rest stays responsive. The backlog counts
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
    private readonly clock: Clock,
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
    lastClientFrameAt = performance.now();
    if (this.ready) readyFramesEverywhere++;
    if (this.queuedFrames > this.limits.maxPendingFrames || this.queuedBytes > this.limits.maxPendingBytes) {
      const frames = this.queuedFrames;
      const bytes = this.queuedBytes;
      this.stop();
      this.sink.overflow(frames, bytes);
      return false;
    }
    this.adjust();
    this.schedule("now");
    return true;
  }

  /** The connection's room is ready: queued frames start to be handled. */
  start(): void {
    if (!this.open || this.ready) return;
    this.ready = true;
    readyFramesEverywhere += this.queuedFrames;
    this.schedule("now");
  }

  /**
   * Before the room is ready: removes the first queued frame when `matches` says so (it was
   * answered without the room); false otherwise, and always once frames are being handled.
   */
  takeFirstIf(matches: (frame: Uint8Array) => boolean): boolean {
    if (!this.open || this.ready || this.queuedFrames === 0) return false;
    const first = this.frames[this.head];
    if (!first || !matches(first)) return false;
    this.head++;
    this.queuedBytes -= first.length;
    this.adjust();
    return true;
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
    if (this.open && this.ready) readyFramesEverywhere -= this.queuedFrames;
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

  /** `now`: after the current burst of socket events; `yield`: next turn of the event loop; `rest`: after a slice's time. */
  private schedule(when: "now" | "yield" | "rest"): void {
    if (this.scheduled || !this.ready || !this.open || this.queuedFrames === 0) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.drainOnce();
    };
    if (when === "now") queueMicrotask(run);
    else if (when === "yield") setImmediate(run);
    else this.clock.after(this.limits.intakeSliceMs, run);
  }

  private drainOnce(): void {
    if (!this.open) return;
    const end = Math.min(this.frames.length, this.head + Math.max(1, this.limits.intakeBatchFrames));
    const batch = this.frames.slice(this.head, end);
    const t0 = this.clock.elapsed();
    const handled = Math.max(1, Math.min(batch.length, this.sink.handle(batch, t0 + this.limits.intakeSliceMs)));
    const busy = this.clock.elapsed() - t0 >= this.limits.intakeSliceMs;
    if (!this.open) return;
    for (let i = 0; i < handled; i++) this.queuedBytes -= batch[i]!.length;
    this.head += handled;
    readyFramesEverywhere -= handled;
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    this.adjust();
    this.schedule(busy ? "rest" : "yield");
  }
}

import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { getPriority, setPriority } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  isInferenceReply,
  type InferenceReply,
  type InferenceRequest,
  type EmbedRequest,
  type InferenceStats,
  type DetectReply,
  type DetectRequest,
  type ImageInput,
  type SamModelSpec,
  type SegmentPrompt,
  type TrackStepReply,
  type TrackStepRequest,
  type TrackTemplateReply,
  type TrackTemplateRequest,
} from "@tessera/shared-crdt";
import { silentLogger, type Logger } from "../logger.js";
import { systemClock, type Clock, type TimerHandle } from "../sync/clock.js";
import { InferenceError } from "./InferenceError.js";

/** Whether this module runs compiled (production) or from its TypeScript source through tsx. */
const COMPILED = import.meta.url.endsWith(".js");
const DIST_CONDITION = "tessera-dist";
const INFERENCE_WORKER_ENTRY = fileURLToPath(
  new URL(
    COMPILED ? "../../../workers/dist/inference/main.js" : "../../../workers/src/inference/main.ts",
    import.meta.url,
  ),
);

export interface InferenceLimits {
  /** Requests the worker holds at once (default 2). */
  readonly concurrency: number;
  /** Requests waiting beyond those; one more is refused at once with `queue_full` (default 32). */
  readonly maxQueue: number;
  /** A request with no answer after this long fails with `timeout` (default 30 s). */
  readonly timeoutMs: number;
}

const DEFAULT_INFERENCE_LIMITS: InferenceLimits = { concurrency: 2, maxQueue: 32, timeoutMs: 30_000 };

export interface InferenceWorkerClientOptions {
  readonly dataDir: string;
  readonly logger?: Logger;
  readonly limits?: Partial<InferenceLimits>;
  /** Extra environment for the worker (tests pass hooks). */
  readonly env?: Readonly<Record<string, string>>;
  readonly workerEntry?: string;
  readonly workerStderr?: "inherit" | "ignore";
  /** How much lower than the server's the worker's CPU priority is (default 10): edits win the CPU. */
  readonly niceness?: number;
  /** Workers in a row that die before `ready`, before queued requests fail with `unavailable` (default 5). */
  readonly maxStartFailures?: number;
  readonly clock?: Clock;
}

export type SegmentOutcome =
  | { readonly kind: "need_image" }
  | { readonly kind: "embedded"; readonly reply: Extract<InferenceReply, { type: "embedded" }> }
  | { readonly kind: "segmented"; readonly reply: Extract<InferenceReply, { type: "segmented" }> };

export interface SegmentCall {
  readonly model: SamModelSpec;
  readonly viewKey: string;
  readonly viewSize: readonly [number, number];
  readonly image: ImageInput | null;
  readonly prompt: SegmentPrompt | null;
}

/** An embedding batch (semantic search) without its request id. */
export type EmbedCall = EmbedRequest extends infer R ? (R extends EmbedRequest ? Omit<R, "id"> : never) : never;

/** A detection for a pre-annotation job (background priority). */
export type DetectCall = Omit<DetectRequest, "type" | "id">;

/** A tracking request (template crop or one frame) of a tracking run (background priority). */
type TrackCall = Omit<TrackTemplateRequest, "id"> | Omit<TrackStepRequest, "id">;

type Body =
  | { type: "segment"; call: SegmentCall }
  | { type: "detect"; call: DetectCall }
  | { type: "track"; call: TrackCall }
  | { type: "embed"; call: EmbedCall }
  | { type: "stats" };

interface Pending {
  readonly id: number;
  readonly body: Body;
  readonly resolve: (r: InferenceReply) => void;
  readonly reject: (e: InferenceError) => void;
  readonly timer: TimerHandle;
  /** pid of the worker holding it; null while queued. */
  sentTo: number | null;
  /** Job work: sent only when no interactive request waits, and never into the last free slot. */
  readonly background: boolean;
}

/** Background requests (jobs) waiting at most; jobs send bounded batches, so this is never reached by one job. */
const MAX_BACKGROUND_QUEUE = 64;

function workerExecArgv(entry: string): string[] {
  if (entry.endsWith(".js")) return [`--conditions=${DIST_CONDITION}`, "--enable-source-maps"];
  return ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href];
}

/**
 * Runs the inference worker (`workers/src/inference/`) as a supervised child process, started at
 * the first request. Requests wait in a bounded queue and at most `concurrency` are in the worker
 * at once; a full queue refuses at once (`queue_full`), every request has a deadline (`timeout`).
 * A worker that dies fails the requests it held (`worker_crashed`: inference is not replayed, a
 * request may be what killed it) and is restarted for the queued ones. The server's event loop
 * never waits on inference: everything here is messages and timers.
 */
export class InferenceWorkerClient {
  private readonly logger: Logger;
  private readonly limits: InferenceLimits;
  private readonly clock: Clock;
  private readonly queue: Pending[] = [];
  private readonly backgroundQueue: Pending[] = [];
  private readonly inFlight = new Map<number, Pending>();
  private child: ChildProcess | null = null;
  private ready = false;
  private nextId = 1;
  private startFailures = 0;
  private restartTimer: TimerHandle | null = null;
  private closing: Promise<void> | null = null;
  private refused = 0;
  private crashes = 0;

  constructor(private readonly options: InferenceWorkerClientOptions) {
    this.logger = options.logger ?? silentLogger;
    this.limits = { ...DEFAULT_INFERENCE_LIMITS, ...options.limits };
    this.clock = options.clock ?? systemClock;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Queue and in-flight counts, refusals and worker crashes so far. */
  get counts(): { queued: number; inFlight: number; refused: number; crashes: number } {
    return {
      queued: this.queue.length + this.backgroundQueue.length,
      inFlight: this.inFlight.size,
      refused: this.refused,
      crashes: this.crashes,
    };
  }

  /** A click (interactive), or a job's mask (`job`: background priority, like {@link detect}). */
  async segment(call: SegmentCall, priority: "interactive" | "job" = "interactive"): Promise<SegmentOutcome> {
    const reply = await this.request({ type: "segment", call }, priority === "job");
    if (reply.type === "need_image") return { kind: "need_image" };
    if (reply.type === "embedded") return { kind: "embedded", reply };
    if (reply.type === "segmented") return { kind: "segmented", reply };
    throw new InferenceError("model_failed", `unexpected answer ${reply.type} from the inference worker`);
  }

  /** One vector per image or text; `job` requests run at background priority (behind every click). */
  async embed(call: EmbedCall, priority: "interactive" | "job" = "interactive"): Promise<readonly Float32Array[]> {
    const reply = await this.request({ type: "embed", call }, priority === "job");
    if (reply.type !== "embedded_vectors") throw new InferenceError("model_failed", `unexpected answer ${reply.type}`);
    return reply.vectors;
  }

  /**
   * One detection at background priority: it waits while interactive requests (clicks) are queued,
   * and holds at most `concurrency − 1` worker slots (one when the concurrency is 1), so a click
   * never waits behind a job's batch.
   */
  async detect(call: DetectCall): Promise<DetectReply> {
    const reply = await this.request({ type: "detect", call }, true);
    if (reply.type !== "detected") throw new InferenceError("model_failed", `unexpected answer ${reply.type}`);
    return reply;
  }

  /** The template crop of a tracking run, at background priority like {@link detect}. */
  async trackTemplate(call: Omit<TrackTemplateRequest, "id">): Promise<TrackTemplateReply> {
    const reply = await this.request({ type: "track", call }, true);
    if (reply.type !== "track_template") throw new InferenceError("model_failed", `unexpected answer ${reply.type}`);
    return reply;
  }

  /** One frame of a tracking run, at background priority like {@link detect}. */
  async trackStep(call: Omit<TrackStepRequest, "id">): Promise<TrackStepReply> {
    const reply = await this.request({ type: "track", call }, true);
    if (reply.type !== "tracked") throw new InferenceError("model_failed", `unexpected answer ${reply.type}`);
    return reply;
  }

  async stats(): Promise<InferenceStats> {
    const reply = await this.request({ type: "stats" });
    if (reply.type !== "stats") throw new InferenceError("model_failed", `unexpected answer ${reply.type}`);
    return reply.stats;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private request(body: Body, background = false): Promise<InferenceReply> {
    if (this.closing) return Promise.reject(new InferenceError("closed", "the server is shutting down"));
    const interactive = this.inFlight.size - this.backgroundInFlight();
    const full = background
      ? this.backgroundQueue.length >= MAX_BACKGROUND_QUEUE
      : this.queue.length + interactive >= this.limits.maxQueue + this.limits.concurrency;
    if (full) {
      this.refused++;
      return Promise.reject(
        new InferenceError(
          "queue_full",
          `the inference queue is full (${this.inFlight.size} running, ${this.queue.length} waiting); try again shortly`,
        ),
      );
    }
    return new Promise<InferenceReply>((resolve, reject) => {
      const id = this.nextId++;
      const timer = this.clock.after(this.limits.timeoutMs, () => {
        const p =
          this.inFlight.get(id) ?? this.queue.find((q) => q.id === id) ?? this.backgroundQueue.find((q) => q.id === id);
        if (!p) return;
        this.forget(p);
        reject(new InferenceError("timeout", `no answer from the model after ${this.limits.timeoutMs} ms`));
        this.pump();
      });
      (background ? this.backgroundQueue : this.queue).push({
        id,
        body,
        resolve,
        reject,
        timer,
        sentTo: null,
        background,
      });
      this.pump();
    });
  }

  private forget(p: Pending): void {
    p.timer.cancel();
    this.inFlight.delete(p.id);
    const q = p.background ? this.backgroundQueue : this.queue;
    const i = q.indexOf(p);
    if (i >= 0) q.splice(i, 1);
  }

  private backgroundInFlight(): number {
    let n = 0;
    for (const p of this.inFlight.values()) if (p.background) n++;
    return n;
  }

  /** The next request to send: interactive first; job work only into a slot that leaves one free. */
  private next(): Pending | undefined {
    const p = this.queue.shift();
    if (p) return p;
    const slots = Math.max(1, this.limits.concurrency - 1);
    return this.backgroundInFlight() < slots ? this.backgroundQueue.shift() : undefined;
  }

  private pump(): void {
    if (this.closing) return;
    if (!this.ready) {
      if (this.queue.length + this.backgroundQueue.length > 0) this.ensureWorker();
      return;
    }
    const child = this.child;
    while (child && this.inFlight.size < this.limits.concurrency) {
      const p = this.next();
      if (!p) break;
      p.sentTo = child.pid ?? null;
      this.inFlight.set(p.id, p);
      const message: InferenceRequest =
        p.body.type === "stats"
          ? { type: "stats", id: p.id }
          : p.body.type === "embed"
            ? { ...p.body.call, id: p.id }
            : p.body.type === "detect"
              ? { type: "detect", id: p.id, ...p.body.call }
              : p.body.type === "track"
                ? { ...p.body.call, id: p.id }
                : { type: "segment", id: p.id, ...p.body.call };
      this.post(child, message);
    }
  }

  private post(child: ChildProcess, message: InferenceRequest): void {
    if (!child.connected) return;
    child.send(message, (err) => {
      // The channel closed under us: the exit handler fails what this worker held.
      if (err) this.logger.warn("send to the inference worker failed", { pid: child.pid, error: err.message });
    });
  }

  private ensureWorker(): void {
    if (this.child || this.restartTimer || this.closing) return;
    const n = this.startFailures;
    const delay = n <= 1 ? 0 : Math.min(100 * 2 ** (n - 1), 5000);
    if (delay === 0) {
      this.spawn();
      return;
    }
    this.restartTimer = this.clock.after(delay, () => {
      this.restartTimer = null;
      this.spawn();
    });
  }

  private spawn(): void {
    if (this.closing || this.child) return;
    const entry = this.options.workerEntry ?? INFERENCE_WORKER_ENTRY;
    let child: ChildProcess;
    try {
      child = fork(entry, [this.options.dataDir], {
        execPath: process.execPath,
        execArgv: workerExecArgv(entry),
        env: { ...process.env, ...this.options.env },
        stdio: ["ignore", "inherit", this.options.workerStderr ?? "inherit", "ipc"],
        serialization: "advanced",
      });
    } catch (err) {
      this.logger.error("cannot start the inference worker", { error: (err as Error).message });
      this.onGone(null, false);
      return;
    }
    this.child = child;
    this.ready = false;
    this.lowerPriority(child);
    this.logger.info("inference worker started", { pid: child.pid });
    child.on("message", (m: unknown) => this.onMessage(child, m));
    child.on("error", (err) => {
      this.logger.error("inference worker error", { pid: child.pid, error: err.message });
      if (child.pid === undefined && this.child === child) this.onGone(child, false);
    });
    child.on("exit", (code, signal) => {
      if (this.child !== child) return;
      this.logger.warn("inference worker exited", { pid: child.pid, code, signal });
      this.onGone(child, this.ready);
    });
  }

  private lowerPriority(child: ChildProcess): void {
    const niceness = this.options.niceness ?? 10;
    if (child.pid === undefined || niceness === 0) return;
    try {
      setPriority(child.pid, Math.min(19, getPriority() + niceness));
    } catch (err) {
      this.logger.warn("cannot lower the inference worker's priority", {
        pid: child.pid,
        error: (err as Error).message,
      });
    }
  }

  private onMessage(child: ChildProcess, m: unknown): void {
    if (child !== this.child) return;
    if (!isInferenceReply(m)) {
      this.logger.error("malformed message from the inference worker", { pid: child.pid });
      return;
    }
    if (m.type === "ready") {
      this.ready = true;
      this.startFailures = 0;
      this.logger.info("inference worker ready", { pid: child.pid, providers: m.providers });
      this.pump();
      return;
    }
    const p = this.inFlight.get(m.id);
    if (!p) return;
    this.forget(p);
    if (m.type === "failed")
      p.reject(
        m.reason === "bad_image"
          ? new InferenceError("bad_image", m.error)
          : new InferenceError("model_failed", `the model failed: ${m.error}`),
      );
    else p.resolve(m);
    this.pump();
  }

  private onGone(child: ChildProcess | null, wasReady: boolean): void {
    this.child = null;
    this.ready = false;
    if (this.closing) return;
    if (wasReady) {
      this.crashes++;
      this.startFailures = 1;
    } else {
      this.startFailures++;
    }
    const pid = child?.pid ?? null;
    for (const p of [...this.inFlight.values()]) {
      if (p.sentTo !== pid) continue;
      this.forget(p);
      p.reject(new InferenceError("worker_crashed", "the inference worker stopped while it held this request; retry"));
    }
    if (!wasReady && this.startFailures >= (this.options.maxStartFailures ?? 5)) {
      this.logger.error("the inference worker keeps dying before it is ready; failing queued requests", {
        failures: this.startFailures,
      });
      this.failAll("unavailable", "the inference worker cannot be started");
      this.startFailures = 0;
      return;
    }
    if (this.queue.length + this.backgroundQueue.length > 0) this.ensureWorker();
  }

  private failAll(reason: "closed" | "unavailable", message: string): void {
    for (const p of [...this.queue, ...this.backgroundQueue, ...this.inFlight.values()]) {
      p.timer.cancel();
      p.reject(new InferenceError(reason, message));
    }
    this.queue.length = 0;
    this.backgroundQueue.length = 0;
    this.inFlight.clear();
  }

  private async shutdown(): Promise<void> {
    this.restartTimer?.cancel();
    this.restartTimer = null;
    this.failAll("closed", "the server is shutting down");
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      if (this.ready && child.connected) this.post(child, { type: "shutdown" });
      else child.kill("SIGKILL");
      const timer = this.clock.after(5_000, () => {
        this.logger.warn("inference worker did not stop in time; killing it", { pid: child.pid });
        child.kill("SIGKILL");
      });
      await exited;
      timer.cancel();
    }
    this.child = null;
    this.ready = false;
  }
}

import type { ChildProcess } from "node:child_process";
import { silentLogger, type Logger } from "../logger.js";
import { systemClock, type Clock, type TimerHandle } from "../sync/clock.js";
import { defaultRestartDelay, forkWorkerChild, stopWorkerChild } from "./workerChild.js";
import { workerEntry } from "./workerProcess.js";

/** The scaled mode's persist worker entry (`workers/src/persist/group/main.ts`, or its compiled twin). */
const GROUP_WORKER_ENTRY = workerEntry("persist/group/main");

export interface GroupPersistWorkerProcessOptions {
  readonly dataDir: string;
  readonly redisUrl: string;
  readonly logger?: Logger;
  /** Extra environment for the worker (tuning, tests' crash hooks). */
  readonly env?: Readonly<Record<string, string>>;
  readonly workerEntry?: string;
  /** Pause before restart number `n` after an unexpected exit (default 0, then 100 ms·2ⁿ up to 5 s). */
  readonly restartDelayMs?: (n: number) => number;
  /** How long `stop` waits for the folds under way before killing the worker (default 30 s). */
  readonly stopTimeoutMs?: number;
  /** Added to this process's nice value for the worker (default 5): folding yields to relaying edits. */
  readonly niceness?: number;
  /** Where the worker's log lines go (default: this process's stderr). */
  readonly workerStderr?: "inherit" | "ignore";
  readonly clock?: Clock;
}

function isReady(m: unknown): m is { type: "ready"; processId: string } {
  return (
    typeof m === "object" &&
    m !== null &&
    (m as { type?: unknown }).type === "ready" &&
    typeof (m as { processId?: unknown }).processId === "string"
  );
}

/**
 * One scaled-mode persist worker (a consumer of the `persist` group, docs/ARCHITECTURE.md §6) run as a
 * supervised child process: restarted with back-off when it dies (its jobs are claimed meanwhile by
 * the other workers, then by the new one), stopped by SIGTERM — it finishes the folds under way —
 * with a deadline. The worker holds no request of ours, so a crash costs nothing but time: unlike
 * `ChildProcessPersister` there is nothing to resend. Used by `tessera persist run` and by each web
 * process of the scaled mode (unless `TESSERA_PERSIST_WORKERS=0`). The IPC channel only carries the
 * worker's `ready` and lets it notice this process dying (it then stops too).
 */
export class GroupPersistWorkerProcess {
  private child: ChildProcess | null = null;
  private failures = 0;
  private restartTimer: TimerHandle | null = null;
  private stopping: Promise<void> | null = null;
  private readyWaiters: Array<{ resolve: (id: string) => void; reject: (e: Error) => void }> = [];
  private current: string | null = null;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(private readonly options: GroupPersistWorkerProcessOptions) {
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
  }

  /** The running worker's pid (undefined while none runs). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The running worker's process id in the cluster, once it said `ready`. */
  get processId(): string | null {
    return this.current;
  }

  /** Starts the worker if needed; resolves with its process id once it consumes jobs. */
  start(): Promise<string> {
    if (this.stopping) return Promise.reject(new Error("the persist worker is stopping"));
    if (this.current) return Promise.resolve(this.current);
    const ready = new Promise<string>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    if (!this.child && !this.restartTimer) this.spawn();
    return ready;
  }

  /** SIGTERM, then waits for the exit (SIGKILL past `stopTimeoutMs`); no restart after. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.restartTimer?.cancel();
    this.restartTimer = null;
    for (const w of this.readyWaiters.splice(0)) w.reject(new Error("the persist worker was stopped"));
    const child = this.child;
    if (!child) return;
    await stopWorkerChild(
      child,
      () => child.kill("SIGTERM"),
      this.options.stopTimeoutMs ?? 30_000,
      this.clock,
      this.logger,
    );
  }

  private spawn(): void {
    if (this.stopping || this.child) return;
    const entry = this.options.workerEntry ?? GROUP_WORKER_ENTRY;
    const child = forkWorkerChild(
      {
        entry,
        args: [this.options.dataDir, "--redis", this.options.redisUrl],
        env: this.options.env,
        workerStderr: this.options.workerStderr,
        niceness: this.options.niceness,
        logger: this.logger,
      },
      {
        onMessage: (c: ChildProcess, m: unknown) => {
          if (c !== this.child || !isReady(m)) return;
          this.current = m.processId;
          this.failures = 0;
          for (const w of this.readyWaiters.splice(0)) w.resolve(m.processId);
        },
        onSpawnFailed: (c: ChildProcess) => {
          if (this.child === c) this.onGone();
        },
        onExit: (c: ChildProcess, code, signal) => {
          if (this.child !== c) return;
          if (!this.stopping) this.logger.warn("persist worker exited", { pid: c.pid, code, signal });
          this.onGone();
        },
      },
    );
    if (!child) {
      this.onGone();
      return;
    }
    this.child = child;
    this.current = null;
  }

  private onGone(): void {
    this.child = null;
    this.current = null;
    if (this.stopping) return;
    this.failures++;
    const delay = (this.options.restartDelayMs ?? defaultRestartDelay)(this.failures);
    this.restartTimer = this.clock.after(delay, () => {
      this.restartTimer = null;
      this.spawn();
    });
  }
}

import { fork, type ChildProcess } from "node:child_process";
import { getPriority, setPriority } from "node:os";
import type { Logger } from "../logger.js";
import type { Clock } from "../sync/clock.js";
import { workerExecArgv } from "./workerProcess.js";

/**
 * What the two supervisors of a persist worker child share (`ChildProcessPersister`, the embedded
 * mode's worker with its flush protocol; `GroupPersistWorkerProcess`, a scaled-mode worker of the
 * consumer group): forking it over IPC, its lower CPU priority, the events of its life, the pause
 * before a restart, and stopping it with a deadline. What each does with a worker that is gone
 * (resend its flushes, or just restart it) stays with each.
 */
export interface WorkerChildOptions {
  /** The worker's entry (`workerEntry(…)`). */
  readonly entry: string;
  readonly args: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Where the worker's log lines (JSON on stderr) go: this process's stderr (default) or nowhere. */
  readonly workerStderr?: "inherit" | "ignore" | undefined;
  /** Added to this process's nice value for the worker (default 5): folding yields to relaying edits. */
  readonly niceness?: number | undefined;
  readonly logger: Logger;
}

export interface WorkerChildEvents {
  readonly onMessage: (child: ChildProcess, message: unknown) => void;
  readonly onExit: (child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) => void;
  /** The fork failed without an exit to follow (no pid): the worker is gone. */
  readonly onSpawnFailed: (child: ChildProcess) => void;
}

/** Pause before restart number `n` (1-based count of consecutive failures): 0, then 100 ms·2ⁿ up to 5 s. */
export function defaultRestartDelay(n: number): number {
  return n <= 1 ? 0 : Math.min(100 * 2 ** (n - 1), 5000);
}

/**
 * Forks the worker (IPC, JSON serialization, stdout inherited), lowers its priority, logs
 * `persist worker started` and wires `events`; null when `fork` threw (logged).
 */
export function forkWorkerChild(options: WorkerChildOptions, events: WorkerChildEvents): ChildProcess | null {
  const { logger } = options;
  let child: ChildProcess;
  try {
    child = fork(options.entry, [...options.args], {
      execPath: process.execPath,
      execArgv: workerExecArgv(options.entry),
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "inherit", options.workerStderr ?? "inherit", "ipc"],
      serialization: "json",
    });
  } catch (err) {
    logger.error("cannot start the persist worker", { error: (err as Error).message });
    return null;
  }
  lowerPriority(child, options.niceness ?? 5, logger);
  logger.info("persist worker started", { pid: child.pid });
  child.on("message", (m: unknown) => events.onMessage(child, m));
  child.on("error", (err) => {
    // Spawn failures come here without an exit; other errors (a failed send or kill) are followed by `exit`.
    logger.error("persist worker error", { pid: child.pid, error: err.message });
    if (child.pid === undefined) events.onSpawnFailed(child);
  });
  child.on("exit", (code, signal) => events.onExit(child, code, signal));
  return child;
}

/**
 * Asks a running worker to stop (`ask`: a signal or a message) and waits for its exit, SIGKILLing it
 * past `timeoutMs`. Resolves at once when it already exited.
 */
export async function stopWorkerChild(
  child: ChildProcess,
  ask: () => void,
  timeoutMs: number,
  clock: Clock,
  logger: Logger,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  ask();
  const timer = clock.after(timeoutMs, () => {
    logger.warn("the persist worker did not stop in time; killing it", { pid: child.pid });
    child.kill("SIGKILL");
  });
  await exited;
  timer.cancel();
}

function lowerPriority(child: ChildProcess, niceness: number, logger: Logger): void {
  if (child.pid === undefined || niceness === 0) return;
  try {
    setPriority(child.pid, Math.min(19, getPriority() + niceness));
  } catch (err) {
    // Some sandboxes forbid it; the worker then runs at this process's priority.
    logger.warn("cannot lower the persist worker's priority", { pid: child.pid, error: (err as Error).message });
  }
}

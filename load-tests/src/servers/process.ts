import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { nowMs } from "../clock.js";

/**
 * A server under test in its own process group (the child leads it, so the persist worker it
 * forks goes with it): started, waited for until it prints its URL, stopped with SIGTERM (SIGKILL
 * after 10 s) or killed with SIGKILL — always by the child's PID, never by name.
 */
export type ServerKind = "tessera" | "stock";

export interface BenchServer {
  readonly kind: ServerKind;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT` */
  readonly wsUrl: string;
  readonly port: number;
  readonly pid: number;
  /** Spawn → URL printed, in ms. */
  readonly startMs: number;
  /** SIGTERM the group and wait for the exit (a Tessera server flushes and closes cleanly). */
  stop(): Promise<void>;
  /** SIGKILL the whole group at once (crash) and wait for the exit. */
  kill(): Promise<void>;
  /** The last lines the server printed (for error messages). */
  logTail(): string;
}

export class ServerStartError extends Error {
  override name = "ServerStartError";
}

/** A port free right now on 127.0.0.1 (the stock server cannot report the port it got for 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface SpawnSpec {
  readonly kind: ServerKind;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  /** Printed once the server listens. */
  readonly ready: RegExp;
  readonly timeoutMs?: number;
}

export async function spawnServer(spec: SpawnSpec): Promise<BenchServer> {
  const t0 = nowMs();
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: spec.env,
  });
  const pid = child.pid;
  if (pid === undefined) throw new ServerStartError(`could not spawn ${spec.command}`);
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-16_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timeoutMs = spec.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(
        new ServerStartError(
          `${spec.kind} server printed nothing matching ${String(spec.ready)} within ${timeoutMs} ms:\n${tail.slice(-2000)}`,
        ),
      );
    }, timeoutMs);
    const poll = setInterval(() => {
      if (spec.ready.test(tail)) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 10);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(
        new ServerStartError(`${spec.kind} server exited (${code ?? signal}) before listening:\n${tail.slice(-2000)}`),
      );
    });
  });
  const startMs = Math.round(nowMs() - t0);
  return {
    kind: spec.kind,
    url: `http://127.0.0.1:${spec.port}`,
    wsUrl: `ws://127.0.0.1:${spec.port}`,
    port: spec.port,
    pid,
    startMs,
    stop: () => stopGroup(child, pid, exited),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-pid, "SIGKILL");
      await exited;
    },
    logTail: () => tail,
  };
}

async function stopGroup(child: ChildProcess, pid: number, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  process.kill(-pid, "SIGTERM");
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 10_000).unref());
  if ((await Promise.race([exited, timeout])) === "timeout") {
    // Still running 10 s after SIGTERM: the figures are taken, end it.
    process.kill(-pid, "SIGKILL");
    await exited;
  }
}

import * as path from "node:path";
import type { PersistReply } from "@tessera/shared-crdt";
import { killHook } from "./killHook.js";
import { logLine } from "./logLine.js";
import { runPersistWorker, type WorkerChannel } from "./persistWorker.js";

/**
 * Entry point of the persist worker process, started by the server with `child_process.fork` and
 * an IPC channel: compiled in production (`node --conditions=tessera-dist
 * workers/dist/persist/main.js DATA_DIR`, built by `scripts/build.mjs`), from this source through
 * tsx in dev and tests (`node --import tsx workers/src/persist/main.ts DATA_DIR`).
 *
 * DATA_DIR: first argument, else `TESSERA_DATA_DIR`.
 * Test hooks (never set in production): `killHook.ts`.
 */
function channelOf(proc: NodeJS.Process): WorkerChannel {
  const send = proc.send?.bind(proc);
  if (!send) throw new Error("the persist worker must be started with an IPC channel (child_process.fork)");
  return {
    send: (reply: PersistReply) => {
      if (proc.connected) send(reply);
    },
    onMessage: (handler) => proc.on("message", handler),
    onDisconnect: (handler) => proc.on("disconnect", handler),
  };
}

async function main(): Promise<void> {
  // Ctrl+C in a terminal signals the whole foreground process group, this worker included, and a
  // service manager stopping the unit (systemd's control-group kill, a process-group SIGTERM)
  // signals every process: the server, its supervisor, stops it itself after the last flushes (a
  // `shutdown` message, or the IPC channel closing when the server is gone), so a fold is never cut
  // halfway and the server does not start a second worker while it closes.
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => logLine("info", `${signal} ignored: the server stops this worker`));
  const dataDir = process.argv[2] ?? process.env.TESSERA_DATA_DIR;
  if (!dataDir) throw new Error("usage: persist worker DATA_DIR (or TESSERA_DATA_DIR)");
  const kill = killHook(process.env);
  await runPersistWorker({
    dataDir: path.resolve(dataDir),
    channel: channelOf(process),
    ...(kill ? { onStep: (_key, step) => kill(step) } : {}),
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    logLine("error", "persist worker crashed", {
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    process.exit(1);
  },
);

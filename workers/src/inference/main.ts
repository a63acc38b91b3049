import * as fs from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { InferenceReply } from "@tessera/shared-crdt";
import { runInferenceWorker, type InferenceChannel } from "./inferenceWorker.js";
import { logLine } from "./logLine.js";
import { executionProviders } from "./sam.js";

/**
 * Entry point of the inference worker process, started by the server with `child_process.fork`
 * (IPC, `advanced` serialization): compiled in production (`workers/dist/inference/main.js`, built
 * by `scripts/build.mjs`), from this source through tsx in dev and tests.
 *
 * DATA_DIR: first argument, else `TESSERA_DATA_DIR`. Environment:
 * - `TESSERA_INFERENCE_PROVIDERS`: execution providers to try (`cuda,cpu`); CPU by default;
 * - `TESSERA_EMBEDDING_MEMORY_MB` (default 256) and `TESSERA_EMBEDDING_DISK_MB` (default 2048):
 *   the embedding caches' bounds.
 * Test hooks (never set in production): `TESSERA_TEST_INFERENCE_DELAY_MS=N` waits N ms before
 * each decoder run, each image-embedding batch and each detection; `TESSERA_TEST_INFERENCE_KILL_MARKER=<file>` makes the process SIGKILL itself
 * at its first decoder run when that file does not exist yet (it is created first: once).
 */
function channelOf(proc: NodeJS.Process): InferenceChannel {
  const send = proc.send?.bind(proc);
  if (!send) throw new Error("the inference worker must be started with an IPC channel (child_process.fork)");
  return {
    send: (reply: InferenceReply) => {
      if (proc.connected) send(reply);
    },
    onMessage: (handler) => proc.on("message", handler),
    onDisconnect: (handler) => proc.on("disconnect", handler),
  };
}

function megabytes(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return (raw !== undefined && raw !== "" && Number.isFinite(n) && n >= 0 ? n : fallback) * 1024 * 1024;
}

function testHook(env: NodeJS.ProcessEnv): (() => Promise<void>) | undefined {
  const delay = Number(env.TESSERA_TEST_INFERENCE_DELAY_MS ?? 0);
  const marker = env.TESSERA_TEST_INFERENCE_KILL_MARKER;
  if (!(delay > 0) && !marker) return undefined;
  return async () => {
    if (marker && !fs.existsSync(marker)) {
      fs.writeFileSync(marker, String(process.pid));
      process.kill(process.pid, "SIGKILL");
    }
    if (delay > 0) await sleep(delay);
  };
}

async function main(): Promise<void> {
  // The server stops this worker itself (a `shutdown` message, or the IPC channel closing).
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => logLine("info", `${signal} ignored: the server stops this worker`));
  const dataDir = process.argv[2] ?? process.env.TESSERA_DATA_DIR;
  if (!dataDir) throw new Error("usage: inference worker DATA_DIR (or TESSERA_DATA_DIR)");
  const hook = testHook(process.env);
  await runInferenceWorker({
    dataDir: path.resolve(dataDir),
    channel: channelOf(process),
    providers: executionProviders(process.env),
    memoryBytes: megabytes(process.env.TESSERA_EMBEDDING_MEMORY_MB, 256),
    diskBytes: megabytes(process.env.TESSERA_EMBEDDING_DISK_MB, 2048),
    ...(hook ? { beforeSegment: hook } : {}),
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    logLine("error", "inference worker crashed", {
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    process.exit(1);
  },
);

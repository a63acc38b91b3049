import * as path from "node:path";
import { killHook } from "../killHook.js";
import { logLine } from "../logLine.js";
import { runGroupPersistWorker } from "./runGroupPersistWorker.js";

/**
 * Entry point of a scaled-mode persist worker process: `node --import tsx workers/src/persist/group/main.ts
 * DATA_DIR --redis URL` (compiled: `workers/dist/persist/group/main.js`). Started by `tessera persist run`
 * and, by default, one per web process in scaled mode.
 *
 * Redis: `--redis URL`, else `TESSERA_REDIS_URL`; key prefix `TESSERA_REDIS_PREFIX` (default `tessera:`).
 * Tuning (milliseconds): `TESSERA_PERSIST_CLAIM_MIN_IDLE_MS` (15000), `TESSERA_PERSIST_SWEEP_MS` (3000),
 * `TESSERA_PERSIST_FLUSH_MAX_WAIT_MS` (10000), `TESSERA_PERSIST_FOLD_LOCK_MS` (30000),
 * `TESSERA_PERSIST_STALE_MS` (30000: a log this old is folded even with a live owner); records per batch
 * `TESSERA_PERSIST_BATCH` (64; twice that many jobs are held at most); a job claimed more than
 * `TESSERA_PERSIST_MAX_DELIVERIES` (5) times is given up;
 * `TESSERA_PERSIST_TRACE=1` logs each fold (`fold` lines). Test hooks: `../killHook.ts`.
 *
 * SIGINT/SIGTERM: stop after the folds under way; so does the IPC channel closing when a parent
 * process started this one with one (the parent died), and a channel already closed at the start
 * means no start at all. With IPC, `{type: "ready", processId}` is
 * sent once jobs are consumed.
 */
function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): { dataDir: string; redisUrl: string } {
  let dataDir: string | undefined;
  let redisUrl = env.TESSERA_REDIS_URL;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--redis") redisUrl = argv[++i];
    else if (a?.startsWith("--redis=")) redisUrl = a.slice("--redis=".length);
    else dataDir ??= a;
  }
  dataDir ??= env.TESSERA_DATA_DIR;
  if (!dataDir || !redisUrl) throw new Error("usage: group persist worker DATA_DIR --redis redis://HOST:PORT");
  return { dataDir: path.resolve(dataDir), redisUrl };
}

/** A positive whole number from the environment (milliseconds, or records for the batch). */
function msFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${raw}`);
  return n;
}

async function main(): Promise<void> {
  const env = process.env;
  const { dataDir, redisUrl } = parseArgs(process.argv.slice(2), env);
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      logLine("info", `${signal}: stopping after the folds under way`);
      controller.abort();
    });
  // Started by a parent with an IPC channel (a web process's child): its end closing means the
  // parent died. When it closed before this line (the parent was SIGKILLed while this process was
  // loading), no disconnect event is left to come: stop now, or this worker would live on as an
  // orphan nobody stops, folding jobs of a cluster its parent left.
  if (typeof process.send === "function") {
    if (!process.connected) {
      logLine("info", "the parent process is gone before the start: not starting");
      return;
    }
    process.on("disconnect", () => controller.abort());
  }
  const kill = killHook(env);
  const tuning = {
    claimMinIdleMs: msFrom(env, "TESSERA_PERSIST_CLAIM_MIN_IDLE_MS"),
    sweepEveryMs: msFrom(env, "TESSERA_PERSIST_SWEEP_MS"),
    flushMaxWaitMs: msFrom(env, "TESSERA_PERSIST_FLUSH_MAX_WAIT_MS"),
    foldLockMs: msFrom(env, "TESSERA_PERSIST_FOLD_LOCK_MS"),
    staleAfterMs: msFrom(env, "TESSERA_PERSIST_STALE_MS"),
    batch: msFrom(env, "TESSERA_PERSIST_BATCH"),
    maxDeliveries: msFrom(env, "TESSERA_PERSIST_MAX_DELIVERIES"),
  };
  await runGroupPersistWorker({
    dataDir,
    redisUrl,
    ...(env.TESSERA_REDIS_PREFIX ? { prefix: env.TESSERA_REDIS_PREFIX } : {}),
    ...Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined)),
    traceFolds: env.TESSERA_PERSIST_TRACE === "1",
    ...(kill ? { onStep: (_key, step) => kill(step) } : {}),
    log: (level, message, fields = {}) => logLine(level, message, fields),
    signal: controller.signal,
    onReady: (processId) => {
      if (process.connected) process.send?.({ type: "ready", processId });
    },
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    logLine("error", "group persist worker crashed", {
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    process.exit(1);
  },
);

import path from "node:path";
import type { Command } from "commander";
import { jsonLinesLogger } from "../../logger.js";
import { GroupPersistWorkerProcess } from "../../persist/GroupPersistWorkerProcess.js";
import { redisUrlFrom, ServerConfigError } from "../../serverOptions.js";
import { displayPath, type CliIo } from "../output.js";

/**
 * `tessera persist run DATA_DIR --redis URL`: one persist worker of the scaled mode (the Procfile's
 * `persist` processes; docs/ARCHITECTURE.md §6), a consumer of the `persist` group folding the
 * record streams of the cluster into DATA_DIR's snapshots and rows. It runs the worker as a
 * supervised child (restarted if it dies); SIGINT/SIGTERM stop it after the folds under way, and
 * this resolves once it has.
 */
async function runPersist(
  io: CliIo,
  dataDir: string,
  opts: { redis?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const redisUrl =
    opts.redis !== undefined
      ? redisUrlFrom(opts.redis, "--redis")
      : redisUrlFrom(env.TESSERA_REDIS_URL, "TESSERA_REDIS_URL");
  if (redisUrl === null)
    throw new ServerConfigError(
      "persist run needs the cluster's Redis: --redis redis://HOST:PORT (or TESSERA_REDIS_URL)",
    );
  const dir = path.resolve(io.cwd, dataDir);
  const logger = jsonLinesLogger((line) => io.stderr.write(line));
  const worker = new GroupPersistWorkerProcess({ dataDir: dir, redisUrl, logger });
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info("stopping", { signal });
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void worker.stop().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  const processId = await Promise.race([worker.start(), stopped.then(() => null)]);
  if (processId !== null)
    io.stdout.write(`Tessera persist worker ${processId} running (data: ${displayPath(io, dir)})\n`);
  await stopped;
}

export function registerPersistCommands(program: Command, io: CliIo): void {
  program
    .command("persist")
    .description("scaled mode: persist workers")
    .command("run")
    .description("fold the cluster's record logs into DATA_DIR's rows and snapshots (one worker of the group)")
    .argument("<DATA_DIR>", "data directory (shared by every process of the cluster)")
    .option("--redis <url>", "the cluster's Redis: redis://HOST:PORT (also TESSERA_REDIS_URL)")
    .addHelpText(
      "after",
      "\nEnvironment: TESSERA_REDIS_URL, TESSERA_REDIS_PREFIX, TESSERA_PERSIST_CLAIM_MIN_IDLE_MS,\nTESSERA_PERSIST_SWEEP_MS, TESSERA_PERSIST_FLUSH_MAX_WAIT_MS, TESSERA_PERSIST_FOLD_LOCK_MS,\nTESSERA_PERSIST_BATCH, TESSERA_PERSIST_TRACE.",
    )
    .action(async (dataDir: string, opts: { redis?: string }) => {
      await runPersist(io, dataDir, opts);
    });
}

import { ServerConfigError } from "../serverOptions.js";
import { GroupPersistWorkerProcess, type GroupPersistWorkerProcessOptions } from "./GroupPersistWorkerProcess.js";
import { RedisPersister, type RedisPersisterOptions } from "./RedisPersister.js";

/** Persist worker children a web process starts by default in scaled mode. */
const DEFAULT_PERSIST_WORKERS = 1;
const MAX_PERSIST_WORKERS = 16;

/**
 * `TESSERA_PERSIST_WORKERS`: how many persist worker children this web process runs in scaled mode
 * (default 1; `0` when the workers run as their own processes, `tessera persist run`).
 */
export function persistWorkersFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.TESSERA_PERSIST_WORKERS?.trim();
  if (raw === undefined || raw === "") return DEFAULT_PERSIST_WORKERS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > MAX_PERSIST_WORKERS)
    throw new ServerConfigError(
      `TESSERA_PERSIST_WORKERS must be a whole number from 0 to ${MAX_PERSIST_WORKERS} (got ${JSON.stringify(raw.slice(0, 20))})`,
    );
  return n;
}

export interface ScaledPersistOptions extends RedisPersisterOptions {
  readonly dataDir: string;
  readonly redisUrl: string;
  /** Read for `TESSERA_PERSIST_WORKERS` (default: `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Passed to each worker child (environment, stderr, niceness…). */
  readonly worker?: Omit<GroupPersistWorkerProcessOptions, "dataDir" | "redisUrl" | "logger">;
}

/** The scaled mode's persistence in one web process: its `Persister` and its worker children. */
export interface ScaledPersist {
  readonly persister: RedisPersister;
  readonly workers: readonly GroupPersistWorkerProcess[];
  /** After the rooms' last flushes: fails what is still pending, then stops the children (they finish their folds). */
  close(): Promise<void>;
}

/**
 * Wiring of the fold side for a web process of the scaled mode (docs/ARCHITECTURE.md §6): a
 * `RedisPersister` on the process's connections and, unless `TESSERA_PERSIST_WORKERS=0`, that many
 * persist worker children (`GroupPersistWorkerProcess`), started in the background — the rooms'
 * flushes wait in the jobs stream until some worker of the cluster takes them. Throws
 * `ServerConfigError` on a bad `TESSERA_PERSIST_WORKERS`, before starting anything.
 */
export function startScaledPersist(options: ScaledPersistOptions): ScaledPersist {
  const count = persistWorkersFrom(options.env ?? process.env);
  const persister = new RedisPersister(options);
  const workers = Array.from(
    { length: count },
    () =>
      new GroupPersistWorkerProcess({
        ...options.worker,
        dataDir: options.dataDir,
        redisUrl: options.redisUrl,
        ...(options.logger ? { logger: options.logger } : {}),
      }),
  );
  for (const w of workers)
    w.start().catch((err: unknown) =>
      options.logger?.warn("a persist worker did not start", {
        error: err instanceof Error ? err.message : String(err),
      }),
    );
  return {
    persister,
    workers,
    async close() {
      await persister.close();
      await Promise.all(workers.map((w) => w.stop()));
    },
  };
}

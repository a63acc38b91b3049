import { spawn, type ChildProcess } from "node:child_process";
import { nowMs, sleep } from "./clock.js";
import { sampleProcesses } from "./procStats.js";
import type { BenchServer } from "./servers/process.js";
import { ServerStartError } from "./servers/process.js";
import { REDIS_DURABILITY_ARGS, startRedisProcess, type RedisProcess } from "./servers/redis.js";
import { startTessera, tesseraRoot } from "./servers/tessera.js";

/**
 * The scaled mode on one machine, for benchmarks and manual runs: a real `redis-server` (AOF,
 * `appendfsync always`, by PID), `web` Tessera processes (`tessera server run DATA_DIR --redis URL`,
 * each with its own persist worker child unless `childWorkers: false`) and `persist` standalone
 * workers (`tessera persist run DATA_DIR --redis URL`), all on one DATA_DIR, 127.0.0.1 and free
 * ports, each in its own process group, stopped by PID. `startCluster` resolves once every web
 * process answers `/health` with 200 and every worker has registered in Redis; if anything fails to
 * start, what did start is stopped before the error is thrown. A process exit or SIGINT/SIGTERM of
 * the caller takes the whole cluster down.
 *
 * `redis: false` is the single mode (one process, no Redis): the baseline the cluster is compared to.
 */
export interface ClusterOptions {
  readonly dataDir: string;
  /** Web processes (≥ 1; exactly 1 without Redis). */
  readonly web: number;
  /** Standalone persist workers (`tessera persist run`). */
  readonly persist?: number;
  /** Whether each web process starts its own persist worker child (`TESSERA_PERSIST_WORKERS=0` when false). */
  readonly childWorkers?: boolean;
  /** Scaled mode through a Redis started here (default true). */
  readonly redis?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (message: string) => void;
  readonly timeoutMs?: number;
}

/** A standalone persist worker of the cluster. */
interface PersistProcess {
  readonly pid: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
  logTail(): string;
}

export interface Cluster {
  readonly mode: "scaled" | "single";
  readonly redis: RedisProcess | null;
  readonly web: readonly BenchServer[];
  readonly persist: readonly PersistProcess[];
  /** Stops everything (web processes first, so their last flushes reach Redis; Redis last). */
  stop(): Promise<void>;
}

class ClusterStartError extends Error {
  override name = "ClusterStartError";
}

/** Process groups of every cluster still running: killed if this process exits without stopping them. */
const liveGroups = new Set<number>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once("exit", () => {
    for (const pid of liveGroups) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch (err) {
        // ESRCH: the group is already gone; anything else cannot be acted on while exiting.
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") console.error(`cluster: kill ${pid}: ${String(err)}`);
      }
    }
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      // The exit hook above kills what is left; exit with the conventional status.
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
}

function track(pid: number): void {
  hookExit();
  liveGroups.add(pid);
}

/** GET /health until it answers 200 (503 while start-up recovery runs). */
async function waitHealthy(server: BenchServer, timeoutMs: number): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  let last = "no answer";
  while (nowMs() < deadline) {
    try {
      const res = await fetch(`${server.url}/health`);
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(50);
  }
  throw new ClusterStartError(`${server.url}/health did not answer 200 within ${timeoutMs} ms (${last})`);
}

/**
 * Whether a process of `kind` in the tree of `rootPid` (the launched process, or the worker child it
 * supervises) has its heartbeat key in Redis (`tessera:proc:*`, JSON with `kind` and `pid`).
 */
async function registered(redis: RedisProcess, kind: "web" | "persist", rootPid: number): Promise<boolean> {
  const tree = new Set((await sampleProcesses(rootPid)).map((p) => p.pid));
  const keys = await redis.command("KEYS", "tessera:proc:*");
  for (const key of keys) {
    const [value] = await redis.command("GET", key);
    if (value === undefined) continue;
    try {
      const info = JSON.parse(value) as { kind?: unknown; pid?: unknown };
      if (info.kind === kind && typeof info.pid === "number" && tree.has(info.pid)) return true;
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      // Not a process record of ours: ignore it.
    }
  }
  return false;
}

function startPersistWorker(dataDir: string, redisUrl: string, env: NodeJS.ProcessEnv): PersistProcess {
  const root = tesseraRoot();
  const child: ChildProcess = spawn(
    process.execPath,
    [`${root}bin/tessera.mjs`, "persist", "run", dataDir, "--redis", redisUrl],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true, env },
  );
  const pid = child.pid;
  if (pid === undefined) throw new ClusterStartError("could not spawn a persist worker");
  track(pid);
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-16_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      liveGroups.delete(pid);
      resolve();
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    pid,
    logTail: () => tail,
    async stop() {
      if (running()) process.kill(-pid, "SIGTERM");
      const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 10_000).unref());
      if ((await Promise.race([exited, timeout])) === "timeout") process.kill(-pid, "SIGKILL");
      await exited;
    },
    async kill() {
      if (running()) process.kill(-pid, "SIGKILL");
      await exited;
    },
  };
}

async function waitRegistered(redis: RedisProcess, worker: PersistProcess, timeoutMs: number): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  while (nowMs() < deadline) {
    if (await registered(redis, "persist", worker.pid)) return;
    await sleep(100);
  }
  throw new ClusterStartError(
    `persist worker ${worker.pid} did not register in Redis within ${timeoutMs} ms:\n${worker.logTail().slice(-2000)}`,
  );
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const scaled = options.redis ?? true;
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!Number.isInteger(options.web) || options.web < 1) throw new ClusterStartError("web must be an integer ≥ 1");
  if (!scaled && (options.web !== 1 || (options.persist ?? 0) > 0))
    throw new ClusterStartError("without Redis the cluster is one web process and no standalone worker");
  let redis: RedisProcess | null = null;
  const web: BenchServer[] = [];
  const persist: PersistProcess[] = [];
  const stop = async () => {
    for (const s of web.splice(0)) {
      await s.stop();
      liveGroups.delete(s.pid);
    }
    for (const w of persist.splice(0)) await w.stop();
    if (redis) {
      await redis.stop();
      liveGroups.delete(redis.pid);
      redis = null;
    }
  };
  try {
    if (scaled) {
      redis = await startRedisProcess();
      track(redis.pid);
      log(`redis-server ${redis.url} (pid ${redis.pid}): ${REDIS_DURABILITY_ARGS.join(" ")}`);
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      ...(options.childWorkers === false ? { TESSERA_PERSIST_WORKERS: "0" } : {}),
    };
    const redisUrl = redis?.url;
    // One at a time: processes starting together on 2 cores only slow each other down.
    for (let i = 0; i < options.web; i++) {
      const server = await startTessera({ dataDir: options.dataDir, env, timeoutMs, redisUrl });
      track(server.pid);
      web.push(server);
      await waitHealthy(server, timeoutMs);
      log(`web ${i} ${server.url} (pid ${server.pid}) healthy after ${server.startMs} ms`);
    }
    if (redis && redisUrl) {
      for (let i = 0; i < (options.persist ?? 0); i++) {
        const worker = startPersistWorker(options.dataDir, redisUrl, env);
        persist.push(worker);
        await waitRegistered(redis, worker, timeoutMs);
        log(`persist ${i} (pid ${worker.pid}) registered`);
      }
    }
  } catch (err) {
    await stop();
    if (err instanceof ServerStartError || err instanceof ClusterStartError) throw err;
    throw new ClusterStartError(`cluster start failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    mode: scaled ? "scaled" : "single",
    get redis() {
      return redis;
    },
    web,
    persist,
    stop,
  };
}

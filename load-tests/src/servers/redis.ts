import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, ServerStartError } from "./process.js";

/**
 * A real `redis-server` for the cluster launcher and benchmark: in the foreground on 127.0.0.1 and a
 * free port, in its own temp folder and process group, with the durability the scaled mode documents
 * (AOF on, `appendfsync always`, no RDB saves, `maxmemory-policy noeviction`); stopped by PID. The
 * same settings as the tests' harness (`storage/test/support/redisServer.ts`), which `src/` must not
 * import. Commands go through `redis-cli` (installed with the server), so load-tests needs no Redis
 * client library.
 */
export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** The arguments the server was started with (printed with every figure). */
  readonly args: readonly string[];
  /** Runs one command through `redis-cli --raw`; its output lines. */
  command(...args: readonly string[]): Promise<string[]>;
  /** `CONFIG GET` of the settings that matter for durability and memory, plus the server version. */
  config(): Promise<Record<string, string>>;
  /** SIGTERM, waits for the exit, removes the folder. */
  stop(): Promise<void>;
  /** SIGKILL (a crash): what was not in the AOF is gone. Keeps the folder until `stop`. */
  kill(): Promise<void>;
}

const REDIS_BIN = process.env.TESSERA_REDIS_SERVER ?? "redis-server";
const REDIS_CLI = process.env.TESSERA_REDIS_CLI ?? "redis-cli";

/** The durability settings of the scaled mode (README "Scaled mode"). */
export const REDIS_DURABILITY_ARGS: readonly string[] = [
  "--appendonly",
  "yes",
  "--appendfsync",
  "always",
  "--save",
  "",
  "--maxmemory-policy",
  "noeviction",
];

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function launch(dir: string, port: number, args: readonly string[]): Promise<ChildProcess> {
  const child = spawn(REDIS_BIN, [...args], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString("utf8")).slice(-8000);
      if (output.includes("Ready to accept connections")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) =>
      reject(
        new ServerStartError(
          `redis-server on port ${port} (${dir}) exited before ready (${code ?? signal}): ${output.slice(-2000)}`,
        ),
      ),
    );
    child.once("error", reject);
  });
  const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
  try {
    await ready;
  } finally {
    clearTimeout(deadline);
  }
  return child;
}

function cli(port: number, args: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(REDIS_CLI, ["-h", "127.0.0.1", "-p", String(port), "--raw", ...args], (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-cli ${args.join(" ")}: ${err.message} ${stderr}`));
      else resolve(stdout.split("\n").filter((l) => l !== ""));
    });
  });
}

export async function startRedisProcess(opts: { extraArgs?: readonly string[] } = {}): Promise<RedisProcess> {
  const dir = await mkdtemp(join(tmpdir(), "tessera-bench-redis-"));
  let child: ChildProcess | null = null;
  let port = 0;
  let args: string[] = [];
  try {
    for (let attempt = 0; child === null; attempt++) {
      port = await freePort();
      args = [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        ...REDIS_DURABILITY_ARGS,
        ...(opts.extraArgs ?? []),
      ];
      try {
        child = await launch(dir, port, args);
      } catch (err) {
        // Another process took the port between the probe and redis's bind: try another one.
        if (attempt >= 4) throw err;
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const proc: ChildProcess = child;
  const pid = proc.pid;
  if (pid === undefined) throw new ServerStartError("redis-server has no pid");
  const running = () => proc.exitCode === null && proc.signalCode === null;
  const command = (...cmd: readonly string[]) => cli(port, cmd);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    dir,
    args,
    command,
    async config() {
      const out: Record<string, string> = {};
      for (const name of ["appendonly", "appendfsync", "save", "maxmemory", "maxmemory-policy"]) {
        const [key, value] = await command("CONFIG", "GET", name);
        if (key !== undefined) out[key] = value ?? "";
      }
      const info = await command("INFO", "server");
      const version = info.map((l) => /^redis_version:(\S+)/.exec(l)?.[1]).find((v) => v !== undefined);
      out.redis_version = version ?? "unknown";
      return out;
    },
    async stop() {
      if (running()) {
        process.kill(pid, "SIGTERM");
        await exited(proc);
      }
      await rm(dir, { recursive: true, force: true });
    },
    async kill() {
      if (running()) process.kill(pid, "SIGKILL");
      await exited(proc);
    },
  };
}

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/**
 * A real `redis-server` for tests: started in the foreground on 127.0.0.1 and a free port, with
 * its own temp folder, AOF on and `appendfsync always` (the durability the scaled mode documents),
 * no RDB saves; stopped by PID. `kill()` is a SIGKILL (a crash); `restart()` starts a new server on
 * the same folder and port, so what the AOF kept is back.
 */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** A new ioredis client on this server (closed by `stop`). */
  client(): Redis;
  /** SIGKILL, no shutdown save: what was not in the AOF is gone. */
  kill(): Promise<void>;
  /** Starts again on the same folder and port (after `kill` or `stop({ keepDir: true })`). */
  restart(): Promise<void>;
  /** SIGTERM, waits for the exit; removes the folder unless `keepDir`. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

const REDIS_BIN = process.env.TESSERA_REDIS_SERVER ?? "redis-server";

async function freePort(): Promise<number> {
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

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function launch(dir: string, port: number, extraArgs: readonly string[]): Promise<ChildProcess> {
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--daemonize",
    "no",
    "--protected-mode",
    "yes",
    ...extraArgs,
  ];
  const child = spawn(REDIS_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      if (output.includes("Ready to accept connections")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) =>
      reject(new Error(`redis-server exited before ready (code ${code}, signal ${signal}): ${output.slice(-2000)}`)),
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

export async function startRedis(opts: { extraArgs?: readonly string[] } = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "tessera-redis-"));
  const extraArgs = opts.extraArgs ?? [];
  let port = 0;
  let child: ChildProcess | null = null;
  for (let attempt = 0; child === null; attempt++) {
    port = await freePort();
    try {
      child = await launch(dir, port, extraArgs);
    } catch (err) {
      // Another process took the port between our probe and redis's bind: try another one.
      if (attempt >= 4) throw err;
    }
  }
  const clients: Redis[] = [];
  let current: ChildProcess = child;
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return current.pid ?? -1;
    },
    client() {
      const c = new Redis(port, "127.0.0.1", { lazyConnect: false, maxRetriesPerRequest: 3 });
      c.on("error", () => undefined); // reported through the commands that fail; a killed server is expected here
      clients.push(c);
      return c;
    },
    async kill() {
      current.kill("SIGKILL");
      await exited(current);
    },
    async restart() {
      if (current.exitCode === null && current.signalCode === null) throw new Error("redis-server is still running");
      current = await launch(dir, port, extraArgs);
    },
    async stop(stopOpts = {}) {
      for (const c of clients.splice(0)) c.disconnect();
      if (current.exitCode === null && current.signalCode === null) {
        current.kill("SIGTERM");
        await exited(current);
      }
      if (!stopOpts.keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

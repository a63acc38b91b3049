import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The real Tessera server in a child process, started through its CLI
 * (`tessera server run DATA_DIR --host 127.0.0.1 --port 0`) — or, in a checkout without the CLI,
 * its composition root `server/src/main.ts` (DATA_DIR/HOST/PORT from the environment) — so the
 * benchmark measures what users run and load-tests never imports the server package. Both call
 * `startServer` and print the URL they listen on. The child leads its own process group;
 * {@link RunningServer.stop} signals that group by the child's PID.
 */
export interface RunningServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export class ServerStartError extends Error {
  override name = "ServerStartError";
}

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const URL_RE = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)/;

export async function startServerProcess(dataDir: string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunningServer> {
  const cli = `${repoRoot}bin/tessera.mjs`;
  const main = `${repoRoot}server/src/main.ts`;
  const [command, args] = existsSync(cli)
    ? [process.execPath, [cli, "server", "run", dataDir, "--host", "127.0.0.1", "--port", "0"]]
    : [`${repoRoot}node_modules/.bin/tsx`, [main]];
  if (!existsSync(cli) && !existsSync(main)) throw new ServerStartError(`neither ${cli} nor ${main} exists`);
  const child = spawn(command, args, {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { ...process.env, DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0", ...options.env },
  });
  const pid = child.pid;
  if (pid === undefined) throw new ServerStartError("could not spawn the server");
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new ServerStartError(`server printed no URL within ${options.timeoutMs ?? 60_000} ms:\n${output.slice(-2000)}`));
    }, options.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = URL_RE.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new ServerStartError(`server exited with code ${code}:\n${output.slice(-2000)}`));
    });
  });
  // Keep draining output so the child never blocks on a full pipe.
  child.stdout.removeAllListeners("data").resume();
  child.stderr.removeAllListeners("data").on("data", (c: Buffer) => process.stderr.write(`[server] ${c.toString()}`));
  return { url, pid, stop: () => stopGroup(child, pid) };
}

async function stopGroup(child: ChildProcess, pid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(-pid, "SIGTERM");
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 10_000).unref());
  if ((await Promise.race([exited, timeout])) === "timeout") {
    process.kill(-pid, "SIGKILL");
    await exited;
  }
}

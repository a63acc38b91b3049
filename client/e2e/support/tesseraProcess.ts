import { spawn, type ChildProcess } from "node:child_process";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * A real Tessera server process for e2e checks that need their own data: `server/src/main.ts` run
 * by Node with tsx, in single-user mode (`TESSERA_AUTH=off`), on 127.0.0.1 and a free port, over
 * a temporary DATA_DIR holding a copy of the given library folders. Stopped by its PID.
 */

const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
const MAIN = path.join(ROOT, "server", "src", "main.ts");

export interface TesseraProcess {
  readonly url: string;
  readonly dataDir: string;
  /** SIGTERM, wait for the exit, remove the temporary DATA_DIR. */
  stop(): Promise<void>;
}

/** Copies `datasets` (folder names under `library`) into a fresh DATA_DIR/library and starts the server on it. */
export async function startTessera(library: string, datasets: readonly string[]): Promise<TesseraProcess> {
  const root = await mkdtemp(path.join(os.tmpdir(), "tessera-pixui-"));
  const dataDir = path.join(root, "data");
  const available = new Set(await readdir(library));
  for (const name of datasets) {
    if (!available.has(name)) throw new Error(`no dataset folder ${name} in ${library}`);
    await cp(path.join(library, name), path.join(dataDir, "library", name), { recursive: true });
  }
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0", TESSERA_AUTH: "off" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const cleanup = () => rm(root, { recursive: true, force: true });
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m?.[1]) {
          child.stdout?.off("data", onData);
          child.stdout?.resume();
          resolve(m[1]);
        }
      };
      child.stdout?.on("data", onData);
      child.once("exit", (code, signal) =>
        reject(new Error(`Tessera exited (${signal ?? String(code)}) before listening:\n${out}\n${stderr}`)),
      );
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    url,
    dataDir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const hard = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(hard);
      }
      await cleanup();
    },
  };
}

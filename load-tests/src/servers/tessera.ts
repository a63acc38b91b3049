import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort, spawnServer, ServerStartError, type BenchServer } from "./process.js";

/**
 * The real Tessera server, started through its CLI (`node bin/tessera.mjs server run DATA_DIR`)
 * on 127.0.0.1 with its write-ahead log, snapshots and persist worker (a child process) — what
 * users run. load-tests never imports the server package. Authentication is turned off
 * (`TESSERA_AUTH=off`) where the server knows that switch: the bots are guests.
 */
export interface TesseraOptions {
  readonly dataDir: string;
  /** Fixed port (a restart must come back on the same one); default: a free one. */
  readonly port?: number;
  /** Write V8 CPU profiles of the server (and its persist worker) into this folder (`--cpu-prof`). */
  readonly profileDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export async function startTessera(options: TesseraOptions): Promise<BenchServer> {
  const cli = `${repoRoot}bin/tessera.mjs`;
  if (!existsSync(cli)) throw new ServerStartError(`${cli} does not exist`);
  const port = options.port ?? (await freePort());
  const nodeOptions = options.profileDir ? `--cpu-prof --cpu-prof-dir=${options.profileDir}` : "";
  return spawnServer({
    kind: "tessera",
    command: process.execPath,
    args: [cli, "server", "run", options.dataDir, "--host", "127.0.0.1", "--port", String(port)],
    cwd: repoRoot,
    env: {
      ...process.env,
      TESSERA_AUTH: "off",
      // Profiling through NODE_OPTIONS reaches the persist worker the server forks as well.
      NODE_OPTIONS: [process.env.NODE_OPTIONS ?? "", nodeOptions].join(" ").trim(),
      ...options.env,
    },
    port,
    ready: /listening on https?:\/\//,
    timeoutMs: options.timeoutMs,
  });
}

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
  /** Inspector port the server opens on SIGUSR1 (profiling); its persist worker uses the default 9229. */
  readonly inspectPort?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  /** `--redis URL`: the scaled mode (one of several processes sharing DATA_DIR through Redis). */
  readonly redisUrl?: string;
}

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

let serverRoot = repoRoot;

/** Where the Tessera server and CLI run from: the working tree, or a snapshot (`--at REF`). */
export function tesseraRoot(): string {
  return serverRoot;
}

export function setTesseraRoot(dir: string): void {
  serverRoot = dir.endsWith("/") ? dir : `${dir}/`;
}

export async function startTessera(options: TesseraOptions): Promise<BenchServer> {
  const root = tesseraRoot();
  const cli = `${root}bin/tessera.mjs`;
  if (!existsSync(cli)) throw new ServerStartError(`${cli} does not exist`);
  const port = options.port ?? (await freePort());
  return spawnServer({
    kind: "tessera",
    command: process.execPath,
    args: [
      ...(options.inspectPort ? [`--inspect-port=${options.inspectPort}`] : []),
      ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      cli,
      "server",
      "run",
      options.dataDir,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      ...(options.redisUrl ? ["--redis", options.redisUrl] : []),
    ],
    cwd: root,
    env: {
      ...process.env,
      TESSERA_AUTH: "off",
      ...options.env,
    },
    port,
    ready: /listening on https?:\/\//,
    timeoutMs: options.timeoutMs,
  });
}

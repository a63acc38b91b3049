import { repoRoot } from "./tessera.js";
import { freePort, spawnServer, type BenchServer } from "./process.js";

/**
 * The baseline: the stock `@y/websocket-server@0.1.1` (`src/server.js`, in-memory, no persistence,
 * ws 6), in its own process with `HOST=127.0.0.1 PORT=…`. Its room name is the URL path, so the
 * bots use the same `/sync/DATASET/RECORD` URLs as on Tessera.
 */
export async function startStock(options: { port?: number; inspectPort?: number } = {}): Promise<BenchServer> {
  const port = options.port ?? (await freePort());
  return spawnServer({
    kind: "stock",
    command: process.execPath,
    args: [
      ...(options.inspectPort ? [`--inspect-port=${options.inspectPort}`] : []),
      `${repoRoot}node_modules/@y/websocket-server/src/server.js`,
    ],
    cwd: repoRoot,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port) },
    port,
    ready: /running at/,
  });
}

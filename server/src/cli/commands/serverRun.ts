import path from "node:path";
import { jsonLinesLogger, startServer } from "../../index.js";
import type { CliIo } from "../output.js";

/**
 * `tessera server run DATA_DIR`: starts the REST server (`startServer` of `@tessera/server`) and
 * stops it cleanly on SIGINT/SIGTERM. Resolves when the server has stopped.
 */
export async function runServer(io: CliIo, dataDir: string, opts: { host: string; port: number }): Promise<void> {
  const server = await startServer({ dataDir: path.resolve(io.cwd, dataDir), host: opts.host, port: opts.port, logger: jsonLinesLogger((line) => io.stderr.write(line)) });
  io.stdout.write(`Tessera listening on ${server.url} (data: ${path.resolve(io.cwd, dataDir)})\n`);
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      server.close().then(resolve, reject);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

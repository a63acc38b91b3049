import path from "node:path";
import { authConfigFromEnv, firstAdminMessage, jsonLinesLogger, startServer } from "../../index.js";
import { parseAllowedHosts } from "../../http/hosts.js";
import { installSafetyNet } from "../../safetyNet.js";
import { displayPath, type CliIo } from "../output.js";

/**
 * `tessera server run DATA_DIR`: starts the REST server (`startServer` of `@tessera/server`) and
 * stops it cleanly on SIGINT/SIGTERM. Resolves when the server has stopped. Accounts are on unless
 * `--no-auth` (or `TESSERA_AUTH=off`) asks for the single-user mode, which listens on 127.0.0.1
 * only; a first start prints the admin account it created (stdout, once).
 */
export async function runServer(io: CliIo, dataDir: string, opts: { host: string; port: number; auth?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const dir = path.resolve(io.cwd, dataDir);
  const auth = authConfigFromEnv(env, { noAuth: opts.auth === false });
  const logger = jsonLinesLogger((line) => io.stderr.write(line));
  const allowedHosts = parseAllowedHosts(env.TESSERA_ALLOWED_HOSTS);
  const uninstall = installSafetyNet(logger);
  const server = await startServer({ dataDir: dir, host: opts.host, port: opts.port, auth, allowedHosts, logger }).catch((err: unknown) => {
    uninstall();
    throw err;
  });
  // The executor runs at once: the signal handlers are in place before anyone reads the line below.
  const stopped = new Promise<void>((resolve, reject) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      server.close().then(
        () => {
          uninstall();
          resolve();
        },
        (err: unknown) => {
          uninstall();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  if (server.firstAdmin) io.stdout.write(firstAdminMessage(server.firstAdmin, displayPath(io, dir)));
  const mode = auth.mode === "off" ? "single-user mode, no login" : "accounts on";
  io.stdout.write(`Tessera listening on ${server.url} (data: ${dir}; ${mode})\n`);
  await stopped;
}

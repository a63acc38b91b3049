import { firstAdminMessage } from "../../auth/index.js";
import { jsonLinesLogger } from "../../logger.js";
import { installSafetyNet } from "../../safetyNet.js";
import { serverOptionsFrom, type ServerRunFlags } from "../../serverOptions.js";
import { startServer } from "../../startServer.js";
import { displayPath, type CliIo } from "../output.js";

/**
 * `tessera server run DATA_DIR`, the composition root of every running server: the CLI (`npm
 * start`, the Procfile) and `server/src/main.ts` (flags empty, settings from the environment) both
 * come here. Settings come from `serverOptionsFrom` (flags over environment variables); the
 * server stops cleanly on SIGINT/SIGTERM and this resolves once it has. Accounts are on unless
 * `--no-auth` (or `TESSERA_AUTH=off`) asks for the single-user mode, which listens on 127.0.0.1
 * only; a first start prints the admin account it created (stdout, once).
 */
export async function runServer(io: CliIo, flags: ServerRunFlags, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const options = serverOptionsFrom(env, flags, io.cwd);
  const logger = jsonLinesLogger((line) => io.stderr.write(line));
  const uninstall = installSafetyNet(logger);
  const server = await startServer({ ...options, logger }).catch((err: unknown) => {
    uninstall();
    throw err;
  });
  // The executor runs at once: the signal handlers are in place before anyone reads the line below.
  const stopped = new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      // Ctrl+C on `npm start` reaches the server twice (the terminal's process group, and
      // scripts/start.mjs forwarding it): a repeat must not kill the server halfway through closing
      // (unflushed edits, the lock left behind). The close has its own deadlines.
      if (stopping) {
        logger.info("already stopping", { signal });
        return;
      }
      stopping = true;
      logger.info("stopping", { signal });
      server.close().then(
        () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          uninstall();
          resolve();
        },
        (err: unknown) => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          uninstall();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  const dir = options.dataDir;
  if (server.firstAdmin) io.stdout.write(firstAdminMessage(server.firstAdmin, displayPath(io, dir)));
  const mode = options.auth.mode === "off" ? "single-user mode, no login" : "accounts on";
  io.stdout.write(`Tessera listening on ${server.url} (data: ${dir}; ${mode})\n`);
  await stopped;
}

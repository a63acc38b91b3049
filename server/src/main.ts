import { authConfigFromEnv, firstAdminMessage } from "./auth/index.js";
import { parseAllowedHosts } from "./http/hosts.js";
import { jsonLinesLogger } from "./logger.js";
import { installSafetyNet } from "./safetyNet.js";
import { startServer } from "./startServer.js";

/**
 * Composition root of `npm start`-style runs: the only module that reads the environment.
 * DATA_DIR (default `./data`), HOST (default 127.0.0.1), PORT (default 7492),
 * TESSERA_CORS_ORIGINS (comma-separated, default none), TESSERA_AUTH (`on` by default; `off` is
 * the single-user mode, loopback only), TESSERA_ADMIN_USER / TESSERA_ADMIN_PASSWORD (first
 * admin), TESSERA_TRUST_PROXY, TESSERA_ALLOWED_HOSTS (comma-separated host names answered besides
 * loopback; see server/src/http/hosts.ts).
 */
async function main(): Promise<void> {
  const logger = jsonLinesLogger();
  installSafetyNet(logger);
  const dataDir = process.env.DATA_DIR ?? "./data";
  const server = await startServer({
    dataDir,
    host: process.env.HOST ?? "127.0.0.1",
    port: process.env.PORT ? Number(process.env.PORT) : 7492,
    corsOrigins: (process.env.TESSERA_CORS_ORIGINS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""),
    auth: authConfigFromEnv(process.env),
    allowedHosts: parseAllowedHosts(process.env.TESSERA_ALLOWED_HOSTS),
    logger,
  });
  const stop = (signal: string) => {
    logger.info("stopping", { signal });
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error("error while stopping", { error: String(err) });
        process.exit(1);
      },
    );
  };
  // Handlers first: whoever reads the line below may signal at once (a default SIGTERM would skip the lock release).
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  // The first admin's password goes to stdout once, never to the log.
  if (server.firstAdmin) process.stdout.write(firstAdminMessage(server.firstAdmin, dataDir));
  process.stdout.write(`Tessera listening on ${server.url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`tessera: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

import { jsonLinesLogger } from "./logger.js";
import { startServer } from "./startServer.js";

/**
 * Composition root of `npm start`-style runs: the only module that reads the environment.
 * DATA_DIR (default `./data`), HOST (default 127.0.0.1), PORT (default 7492),
 * TESSERA_CORS_ORIGINS (comma-separated, default none).
 */
async function main(): Promise<void> {
  const logger = jsonLinesLogger();
  const server = await startServer({
    dataDir: process.env.DATA_DIR ?? "./data",
    host: process.env.HOST ?? "127.0.0.1",
    port: process.env.PORT ? Number(process.env.PORT) : 7492,
    corsOrigins: (process.env.TESSERA_CORS_ORIGINS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""),
    logger,
  });
  process.stdout.write(`Tessera listening on ${server.url}\n`);
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
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  process.stderr.write(`tessera: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

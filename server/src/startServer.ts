import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Express } from "express";
import { createApp } from "./http/app.js";
import { createLibraryAdapter } from "./library/datasetLibrary.js";
import { silentLogger, type Logger } from "./logger.js";

export interface StartServerOptions {
  /** `DATA_DIR` (`library/`, `media/`, `models/`). */
  readonly dataDir: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly logger?: Logger;
  /** The built web client; defaults to `client/dist` of this repository when it exists. */
  readonly clientDir?: string | null;
  readonly corsOrigins?: readonly string[];
  readonly jsonLimitBytes?: number;
  /**
   * Extra endpoints on the same HTTP server (the y-websocket sync endpoint, socket.io): called
   * once before listening; what it returns is closed first on shutdown, before the library.
   */
  readonly attach?: (server: Server, app: Express) => Attachment | Promise<Attachment>;
}

export interface Attachment {
  close(): Promise<void>;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, closes idle and open ones, then the dataset library. */
  close(): Promise<void>;
}

function defaultClientDir(): string | null {
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../client/dist");
  return existsSync(dist) ? dist : null;
}

/** Starts the HTTP server on `host:port` (Pixano's defaults: 127.0.0.1:7492). */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? "127.0.0.1";
  const library = createLibraryAdapter(options.dataDir, { logger });
  const app = createApp({
    library,
    dataDir: options.dataDir,
    clientDir: options.clientDir === undefined ? defaultClientDir() : options.clientDir,
    logger,
    corsOrigins: options.corsOrigins,
    jsonLimitBytes: options.jsonLimitBytes,
  });
  const server: Server = createServer(app);
  const attached = options.attach ? await options.attach(server, app) : null;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 7492, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  logger.info("server listening", { url, dataDir: options.dataDir });
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    close() {
      closing ??= (async () => {
        await attached?.close();
        await new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          server.closeIdleConnections();
          server.closeAllConnections();
        });
        await library.close();
      })();
      return closing;
    },
  };
}

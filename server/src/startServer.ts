import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Express } from "express";
import { AuthService, ensureAdmin, type AuthConfig, type FirstAdmin } from "./auth/index.js";
import { startCollaboration } from "./collaboration.js";
import { createApp } from "./http/app.js";
import { createLibraryAdapter } from "./library/datasetLibrary.js";
import { silentLogger, type Logger } from "./logger.js";
import type { SyncLimits } from "./sync/limits.js";

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
  /**
   * Live records (sync endpoint, persist worker, live channel; REST writes through documents).
   * On by default with the persist worker as a child process; `false` serves the library only.
   */
  readonly collaboration?: false | { readonly persist?: "child" | "in-process"; readonly syncLimits?: Partial<SyncLimits> };
  /**
   * Accounts (`{mode: "on"}`: sessions, API tokens, roles enforced on every route and websocket)
   * or the single-user mode (`{mode: "off"}`: everyone is the local admin; then only a loopback
   * host is accepted). Always explicit: a server never ends up open by omission.
   */
  readonly auth: AuthConfig;
}

/** `startServer` refused its options (e.g. single-user mode on a network interface). */
export class StartServerError extends Error {
  override name = "StartServerError";
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export interface Attachment {
  close(): Promise<void>;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The admin this start created (first start with accounts on), for the caller to print once; else null. */
  readonly firstAdmin: FirstAdmin | null;
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
  if (options.auth.mode === "off" && !LOOPBACK.has(host)) {
    throw new StartServerError(
      `authentication is off (--no-auth / TESSERA_AUTH=off): the single-user mode listens on 127.0.0.1 only, not ${host}. Turn authentication on to serve a network.`,
    );
  }
  const auth = await AuthService.open(options.dataDir, options.auth, { logger, corsOrigins: options.corsOrigins ?? [] });
  let firstAdmin: FirstAdmin | null = null;
  try {
    if (options.auth.mode === "on" && auth.users) firstAdmin = await ensureAdmin(auth.users, options.auth.admin);
  } catch (err) {
    auth.close();
    throw err;
  }
  const library = createLibraryAdapter(options.dataDir, { logger });
  const server: Server = createServer();
  const collab =
    options.collaboration === false
      ? null
      : startCollaboration(server, {
          dataDir: options.dataDir,
          library,
          logger,
          persist: options.collaboration?.persist ?? "child",
          ...(options.collaboration?.syncLimits ? { syncLimits: options.collaboration.syncLimits } : {}),
          identify: auth.identifySync,
          liveIdentify: auth.identifyLive,
          onRevoke: (fn) => auth.onRevoke(fn),
        });
  const app = createApp({
    library,
    dataDir: options.dataDir,
    clientDir: options.clientDir === undefined ? defaultClientDir() : options.clientDir,
    logger,
    corsOrigins: options.corsOrigins,
    jsonLimitBytes: options.jsonLimitBytes,
    auth,
    ...(collab ? { docs: collab.docs, live: collab.live } : {}),
  });
  server.on("request", app);
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
  logger.info("server listening", { url, auth: options.auth.mode });
  if (collab) {
    // Logs a crash left behind are folded into rows in the background; rooms load them meanwhile.
    collab.recover().then(
      (r) => (r.flushed + r.failed > 0 ? logger.info("recovered record logs", r) : undefined),
      (err: unknown) => logger.error("recovery of record logs failed", { error: String(err) }),
    );
  }
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    firstAdmin,
    close() {
      closing ??= (async () => {
        await attached?.close();
        await collab?.close();
        await new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          server.closeIdleConnections();
          server.closeAllConnections();
        });
        await library.close();
        auth.close();
      })();
      return closing;
    },
  };
}

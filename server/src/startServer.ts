import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Express } from "express";
import { AuthService, ensureAdmin, type AuthConfig, type FirstAdmin } from "./auth/index.js";
import { startCollaboration } from "./collaboration.js";
import { defaultInternalUrl, ScaledMode } from "./cluster/ScaledMode.js";
import { createApp } from "./http/app.js";
import { installFrontDoor } from "./http/frontDoor.js";
import { hostPolicy } from "./http/hosts.js";
import type { Readiness } from "./http/routes/root.js";
import { InferenceService } from "./inference/InferenceService.js";
import { PreannotateService } from "./inference/preannotate/PreannotateService.js";
import { TrackService } from "./inference/track/TrackService.js";
import type { InferenceOptions } from "./inference/options.js";
import { createLibraryAdapter } from "./library/datasetLibrary.js";
import { IoService, type IoServiceOptions } from "./io/IoService.js";
import { isLiveTransportPath } from "./live/LiveHub.js";
import { silentLogger, type Logger } from "./logger.js";
import { ServerLock } from "./serverLock.js";
import { LiveCluster } from "./cluster/live/LiveCluster.js";
import { sharedAuth } from "./cluster/live/sharedAuth.js";
import { systemClock, type Clock } from "./sync/clock.js";
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
  /**
   * Host names answered besides loopback (`TESSERA_ALLOWED_HOSTS`, see `http/hosts.ts`). In the
   * single-user mode only loopback and these are answered; with accounts, every host unless this
   * lists some.
   */
  readonly allowedHosts?: readonly string[];
  readonly jsonLimitBytes?: number;
  /**
   * Extra endpoints on the same HTTP server (the y-websocket sync endpoint, socket.io): called
   * once before listening with the server the endpoints attach to (behind the front door's Host
   * and path checks); what it returns is closed first on shutdown, before the library.
   */
  readonly attach?: (server: Server, app: Express) => Attachment | Promise<Attachment>;
  /**
   * Live records (sync endpoint, persist worker, live channel; REST writes through documents).
   * On by default with the persist worker as a child process; `false` serves the library only.
   */
  readonly collaboration?:
    | false
    | {
        readonly persist?: "child" | "in-process";
        /** When the child worker starts: with the server (`tessera server run`) or at the first flush (default). */
        readonly persistWorkerStart?: "with-server" | "on-demand";
        readonly syncLimits?: Partial<SyncLimits>;
        /** The clock of everything live (`CollaborationOptions.clock`); default: the wall clock. */
        readonly clock?: Clock;
      };
  /**
   * Accounts (`{mode: "on"}`: sessions, API tokens, roles enforced on every route and websocket)
   * or the single-user mode (`{mode: "off"}`: everyone is the local admin; then only a loopback
   * host is accepted). Always explicit: a server never ends up open by omission.
   */
  readonly auth: AuthConfig;
  /**
   * Import/export from the browser and Pixano's `/io/*` (import root `TESSERA_IMPORT_ROOT`, default
   * `DATA_DIR/imports`; upload limits); `false` turns those routes off (503).
   */
  readonly io?: Pick<IoServiceOptions, "importRoot" | "exportRoot" | "uploadLimits"> | false;
  /**
   * The model registry (`DATA_DIR/models`) and the inference worker, started at the first
   * inference request (default on); `false` leaves the inference routes answering "nothing connected".
   */
  readonly inference?: false | InferenceOptions;
  /**
   * The scaled mode (docs/ARCHITECTURE.md §6): this process is one of several sharing `dataDir`
   * through the Redis at this URL. Null or absent: the one-process mode, no Redis.
   */
  readonly redisUrl?: string | null;
  /**
   * Scaled mode: the base URL other processes reach this one at (`TESSERA_INTERNAL_URL`); default
   * `http://<host>:<port>`, with loopback for a wildcard host.
   */
  readonly internalUrl?: string | null;
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
  // One clock for the library's memo ages and everything live (CollaborationOptions.clock).
  const clock = (options.collaboration === false ? undefined : options.collaboration?.clock) ?? systemClock;
  let scaled: ScaledMode | null = null;
  if (options.redisUrl) {
    if (options.collaboration === false)
      throw new StartServerError("the scaled mode (--redis) serves live records: it needs collaboration on");
    scaled = await ScaledMode.open({ redisUrl: options.redisUrl, logger, clock });
  }
  // ── scaled mode, people side: accounts, sessions, limits and the live channel shared through Redis ──
  // It is the same process in the registry as the records side: one id, one heartbeat.
  const liveCluster =
    options.redisUrl && scaled
      ? await LiveCluster.open({ url: options.redisUrl, logger, process: scaled.processEntry }).catch(
          async (err: unknown) => {
            await scaled?.close();
            throw err;
          },
        )
      : null;
  // ── end of the scaled mode's people side ──
  const auth = await AuthService.open(options.dataDir, options.auth, {
    logger,
    corsOrigins: options.corsOrigins ?? [],
    shared: liveCluster ? sharedAuth(liveCluster, options.dataDir, logger) : null,
  }).catch(async (err: unknown) => {
    await liveCluster?.close();
    await scaled?.close();
    throw err;
  });
  let firstAdmin: FirstAdmin | null = null;
  try {
    if (options.auth.mode === "on" && auth.users) firstAdmin = await ensureAdmin(auth.users, options.auth.admin);
  } catch (err) {
    auth.close();
    await liveCluster?.close();
    await scaled?.close();
    throw err;
  }
  const library = createLibraryAdapter(options.dataDir, { logger, now: () => clock.now() });
  // Only the front door listens on `server`; the endpoints attach to `endpoints`, which never
  // listens and receives what the front door lets through (Host and path checks).
  const server: Server = createServer();
  const endpoints: Server = createServer();
  installFrontDoor(server, endpoints, {
    hosts: hostPolicy(options.auth.mode === "off", options.allowedHosts ?? []),
    logger,
  });
  const collab =
    options.collaboration === false
      ? null
      : startCollaboration(endpoints, {
          dataDir: options.dataDir,
          library,
          logger,
          persist: options.collaboration?.persist ?? "child",
          persistWorkerStart: options.collaboration?.persistWorkerStart ?? "on-demand",
          ...(options.collaboration?.syncLimits ? { syncLimits: options.collaboration.syncLimits } : {}),
          clock,
          identify: auth.identifySync,
          liveIdentify: auth.identifyLive,
          onRevoke: (fn) => auth.onRevoke(fn),
          liveCluster,
          ...(scaled ? { scaled } : {}),
        });
  // Until start-up recovery has folded the logs a crash left behind, rows may be stale: `/health` says so.
  const recovery = { running: collab !== null && scaled === null, records: 0 };
  const readiness: Readiness = () =>
    recovery.running
      ? {
          ready: false,
          detail: `start-up recovery is folding ${recovery.records > 0 ? `${recovery.records} ` : ""}record logs into rows`,
        }
      : { ready: true, ...(collab ? { rooms: collab.roomsLoaded() } : {}) };
  const io =
    options.io === false
      ? null
      : await IoService.open({
          ...options.io,
          dataDir: options.dataDir,
          logger,
          onFinished: (id) => library.touched(id),
        });
  const inference =
    options.inference === false
      ? null
      : new InferenceService({
          dataDir: options.dataDir,
          library,
          logger,
          ...(options.inference?.limits ? { limits: options.inference.limits } : {}),
          ...(options.inference?.workerEnv ? { workerEnv: options.inference.workerEnv } : {}),
        });
  const preannotate =
    inference && collab
      ? await PreannotateService.open({
          dataDir: options.dataDir,
          inference,
          docs: collab.docs,
          openDataset: (id) => library.open(id),
          logger,
          onChange: (job) => collab.jobChanged(job),
        })
      : null;
  const track =
    inference && collab
      ? new TrackService({
          dataDir: options.dataDir,
          inference,
          docs: collab.docs,
          logger,
          onChange: (job) => collab.jobChanged(job),
        })
      : null;
  const app = createApp({
    readiness,
    ...(io ? { io } : {}),
    library,
    dataDir: options.dataDir,
    clientDir: options.clientDir === undefined ? defaultClientDir() : options.clientDir,
    logger,
    corsOrigins: options.corsOrigins,
    jsonLimitBytes: options.jsonLimitBytes,
    auth,
    ...(collab ? { docs: collab.docs, live: collab.live, review: collab.review, assign: collab.assign } : {}),
    ...(inference ? { inference } : {}),
    ...(preannotate ? { preannotate } : {}),
    ...(track ? { track } : {}),
    ...(scaled ? { forwarding: scaled.restForwarding() } : {}),
  });
  endpoints.on("request", (req, res) => {
    // socket.io owns its path exclusively (polling included): Express never answers it too.
    if (collab && isLiveTransportPath(req.url)) return;
    app(req, res);
  });
  const attached = options.attach ? await options.attach(endpoints, app) : null;
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
  let lock: ServerLock | null = null;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        await attached?.close();
        await io?.close();
        await preannotate?.close();
        await track?.close();
        await inference?.close();
        await collab?.close();
        await scaled?.close();
        await new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          server.closeIdleConnections();
          server.closeAllConnections();
        });
        await library.close();
        auth.close();
        await liveCluster?.close();
      } finally {
        // Whatever failed above, this process no longer serves the directory.
        await lock?.release();
      }
    })();
    return closing;
  };
  // Tells offline tools (`tessera data import --mode overwrite`) that this directory is being served.
  try {
    lock = await ServerLock.acquire(options.dataDir, url, liveCluster?.processId);
  } catch (err) {
    await close();
    throw err;
  }
  if (scaled) {
    try {
      await scaled.register(options.internalUrl ?? defaultInternalUrl(host, port));
    } catch (err) {
      await close();
      throw err;
    }
  }
  if (collab && !scaled) {
    // Logs a crash left behind are folded into rows in the background; rooms load them meanwhile.
    collab
      .recover({ onPending: (n) => (recovery.records = n) })
      .then(
        (r) => (r.flushed + r.failed > 0 ? logger.info("recovered record logs", r) : undefined),
        // Nothing more can be folded now; records load (and fold) their logs when first opened.
        (err: unknown) => logger.error("recovery of record logs failed", { error: String(err) }),
      )
      .finally(() => {
        recovery.running = false;
      });
  }
  return { url, port, firstAdmin, close };
}

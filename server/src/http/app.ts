import path from "node:path";
import express from "express";
import type { ErrorRequestHandler, Express, RequestHandler } from "express";
import { authenticateRequests, AuthService, authRouter, PermissionGuard, userRouter } from "../auth/index.js";
import type { LibraryPort } from "../library/port.js";
import { silentLogger, type Logger } from "../logger.js";
import type { AppContext } from "./context.js";
import { mapDatasetError } from "./datasetErrors.js";
import { errorHandler, notFoundHandler } from "./errors.js";
import { DEFAULT_JSON_LIMIT_BYTES } from "./jsonBody.js";
import { RouteTable } from "./routeTable.js";
import { mapRecordDocError, type RecordDocsPort } from "./recordDocs.js";
import { collabRouter, type LiveReadPort } from "./routes/collab.js";
import { conversationsRouter } from "./routes/conversations.js";
import { dashboardRouter } from "./routes/dashboard.js";
import { datasetsRouter } from "./routes/datasets.js";
import { explorerRouter } from "./routes/explorer.js";
import { filterValuesRouter } from "./routes/filterValues.js";
import { ioRouter, mapIoError } from "./routes/io.js";
import type { IoService } from "../io/IoService.js";
import { inferenceRouter, mapInferenceError } from "./routes/inference.js";
import { mapSearchError, searchRouter } from "./routes/search.js";
import type { InferenceService } from "../inference/InferenceService.js";
import type { PreannotateService } from "../inference/preannotate/PreannotateService.js";
import { mapPreannotateError, preannotateRouter } from "./routes/preannotate.js";
import type { TrackService } from "../inference/track/TrackService.js";
import { mapTrackError, trackRouter } from "./routes/track.js";
import { mediaRouter } from "./routes/media.js";
import { recordsRouter } from "./routes/records.js";
import { mapReviewError, reviewRouter } from "./routes/review.js";
import type { ReviewStore } from "../review/ReviewStore.js";
import { assignRouter, mapAssignError } from "./routes/assign.js";
import type { AssignStore } from "../assign/AssignStore.js";
import { roleOn } from "../auth/roles.js";
import { RESOURCES, resourceRouter } from "./routes/resources.js";
import { clientRouter, rootRouter, type Readiness } from "./routes/root.js";
import { viewsRouter } from "./routes/views.js";
import { cors, securityHeaders } from "./security.js";

export interface AppOptions {
  readonly library: LibraryPort;
  /** `DATA_DIR`; media is served from `DATA_DIR/media`. */
  readonly dataDir: string;
  /** The built web client (`client/dist`); null or absent → the fallback page. */
  readonly clientDir?: string | null;
  readonly logger?: Logger;
  /** JSON bodies above this are refused with 413 (default 16 MB). */
  readonly jsonLimitBytes?: number;
  /** Origins allowed by CORS (default: none). */
  readonly corsOrigins?: readonly string[];
  readonly version?: string;
  /** Record documents: REST writes to annotations and record fields go through them. */
  readonly docs?: RecordDocsPort;
  /** The live channel's activity feed and presence. */
  readonly live?: LiveReadPort;
  /** Review threads and workflow stamps (SPEC RV). */
  readonly review?: ReviewStore;
  /** Assignments (SPEC AS). */
  readonly assign?: AssignStore;
  /**
   * Who a request is and what they may do (accounts, sessions, tokens, the permission table).
   * Absent → the single-user mode: everyone is the local admin.
   */
  readonly auth?: AuthService;
  /** `/health`'s answer: not ready (503) while start-up recovery runs; always ready when absent. */
  readonly readiness?: Readiness;
  /** Import/export jobs, uploads and Pixano's `/io/*` routes; absent → those routes answer 503. */
  readonly io?: IoService;
  /** The model registry and inference worker; absent → the inference routes say nothing is connected. */
  readonly inference?: InferenceService;
  /** Pre-annotation jobs (needs `inference` and `docs`). */
  readonly preannotate?: PreannotateService;
  /** Tracking runs on video (needs `inference` and `docs`). */
  readonly track?: TrackService;
  /** Scaled mode: REST writes to a record open on another process are relayed to it. */
  readonly forwarding?: RestForwarding;
}

/** Scaled mode: REST requests relayed to a record's owner (server/src/cluster/forwardHttp.ts). */
export interface RestForwarding {
  /** After authentication: checks a relayed request's signed identity (401 when it cannot be trusted). */
  readonly admit: RequestHandler;
  /** Before the error handler: carries a write refused because its record is open on another process to it. */
  readonly relay: ErrorRequestHandler;
}

/** The route table behind an app built by {@link createApp} (what `/openapi.json` is made of). */
export function routeTableOf(app: Express): RouteTable {
  const table: unknown = app.locals.routeTable;
  if (!(table instanceof RouteTable)) throw new Error("not an app built by createApp");
  return table;
}

/**
 * The Express application: Pixano's REST API over a dataset library, plus media, the OpenAPI
 * document and the web client. No I/O happens here until a request arrives.
 */
export function createApp(options: AppOptions): Express {
  const logger = options.logger ?? silentLogger;
  const jsonLimitBytes = options.jsonLimitBytes ?? DEFAULT_JSON_LIMIT_BYTES;
  const routes = new RouteTable();
  const ctx: AppContext = {
    library: options.library,
    mediaDir: path.resolve(options.dataDir, "media"),
    clientDir: options.clientDir ? path.resolve(options.clientDir) : null,
    logger,
    routes,
    jsonLimitBytes,
    ...(options.docs ? { docs: options.docs } : {}),
    ...(options.review ? { review: options.review } : {}),
    ...(options.assign ? { assign: options.assign } : {}),
    ...(options.inference ? { inference: options.inference } : {}),
    ...(options.preannotate ? { preannotate: options.preannotate } : {}),
    ...(options.track ? { track: options.track } : {}),
  };
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  app.locals.routeTable = routes;

  app.use(securityHeaders);
  app.use(cors(options.corsOrigins ?? []));
  const auth = options.auth ?? AuthService.local({ corsOrigins: options.corsOrigins ?? [] });
  const guard = new PermissionGuard(auth, routes, logger, ctx.clientDir);
  app.use(authenticateRequests(auth, logger));
  if (options.forwarding) app.use(options.forwarding.admit);
  app.use(guard.router);

  app.use(rootRouter(ctx, options.version ?? "0.1.0", options.readiness));
  app.use(authRouter(ctx, auth));
  app.use(userRouter(ctx, auth));
  app.use(datasetsRouter(ctx));
  app.use(explorerRouter(ctx));
  app.use(searchRouter(ctx));
  app.use(filterValuesRouter(ctx));
  app.use(viewsRouter(ctx));
  app.use(recordsRouter(ctx));
  for (const def of RESOURCES) app.use(resourceRouter(ctx, def));
  app.use(conversationsRouter(ctx));
  app.use(collabRouter(options.live ? { ...ctx, live: options.live } : ctx));
  app.use(reviewRouter(ctx));
  app.use(inferenceRouter(ctx));
  app.use(preannotateRouter(ctx));
  app.use(trackRouter(ctx));
  app.use(dashboardRouter(ctx, options.dataDir));
  app.use(
    assignRouter(
      ctx,
      (ds) => auth.users?.list().map((u) => ({ id: u.username, name: u.displayName, role: roleOn(u, ds) })) ?? null,
    ),
  );
  app.use(ioRouter(ctx, options.io));
  app.use(mediaRouter(ctx));
  app.use(clientRouter(ctx));
  // Every router has registered its routes: one guard per route, from the permission table.
  guard.install();

  app.use(notFoundHandler(routes));
  if (options.forwarding) app.use(options.forwarding.relay);
  app.use(
    errorHandler(logger, [
      mapDatasetError,
      mapRecordDocError,
      mapReviewError,
      mapAssignError,
      mapIoError,
      mapInferenceError,
      mapSearchError,
      mapPreannotateError,
      mapTrackError,
    ]),
  );
  return app;
}

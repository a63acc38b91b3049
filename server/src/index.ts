/**
 * @tessera/server — the composition root and HTTP surface: Pixano's REST API over the dataset
 * library, media, the OpenAPI document and the web client.
 */
export {
  startServer,
  StartServerError,
  type Attachment,
  type RunningServer,
  type StartServerOptions,
} from "./startServer.js";
export { authConfigFromEnv, firstAdminMessage, type AuthConfig, type FirstAdmin } from "./auth/index.js";
export { createApp, routeTableOf, type AppOptions } from "./http/app.js";
export { createLibraryAdapter } from "./library/datasetLibrary.js";
export type { DatasetEntry, LibraryPort } from "./library/port.js";
export { jsonLinesLogger, silentLogger, type Logger } from "./logger.js";
export { syncLimitsFromEnv } from "./sync/limitsEnv.js";

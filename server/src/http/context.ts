import type { DatasetHandle } from "@tessera/dataset";
import type { TableName, TableSchema } from "@tessera/shared-crdt";
import type { LibraryPort } from "../library/port.js";
import type { Logger } from "../logger.js";
import { notFound } from "./errors.js";
import type { RecordDocsPort } from "./recordDocs.js";
import type { ReviewStore } from "../review/ReviewStore.js";
import type { AssignStore } from "../assign/AssignStore.js";
import type { InferenceService } from "../inference/InferenceService.js";
import type { PreannotateService } from "../inference/preannotate/PreannotateService.js";
import type { TrackService } from "../inference/track/TrackService.js";
import type { RouteTable } from "./routeTable.js";

/** Everything the routers share; built once by {@link createApp}. */
export interface AppContext {
  readonly library: LibraryPort;
  /** `DATA_DIR/media`: the only folder `/media/*` serves from. */
  readonly mediaDir: string;
  /** The built web client (`client/dist`), when there is one. */
  readonly clientDir: string | null;
  readonly logger: Logger;
  readonly routes: RouteTable;
  readonly jsonLimitBytes: number;
  /** Record documents (the sync layer), when live editing is on: REST writes go through them. */
  readonly docs?: RecordDocsPort;
  /** Review threads and workflow stamps (SPEC RV), when live editing is on. */
  readonly review?: ReviewStore;
  /** Assignments (SPEC AS), when live editing is on. */
  readonly assign?: AssignStore;
  /** The model registry and the inference worker (`DATA_DIR/models`), when the server runs one. */
  readonly inference?: InferenceService;
  /** Pre-annotation jobs, when the server runs the inference worker and live records. */
  readonly preannotate?: PreannotateService;
  /** Tracking runs on video, when the server runs the inference worker and live records. */
  readonly track?: TrackService;
}

/** The dataset named by a route, or FastAPI's 404 `Dataset '<id>' not found.` */
export async function openDataset(ctx: AppContext, id: string | undefined): Promise<DatasetHandle> {
  const handle = id ? await ctx.library.open(id) : null;
  if (!handle) throw notFound(`Dataset '${id ?? ""}' not found.`);
  return handle;
}

/** The table as this dataset declares it (custom columns included), or null when it does not. */
export function declaredTable(handle: DatasetHandle, table: TableName): TableSchema | null {
  return handle.schema.tables.get(table) ?? null;
}

/** A route parameter that Express guarantees for the matched path. */
export function param(params: Record<string, string | string[] | undefined>, name: string): string {
  const v = params[name];
  return Array.isArray(v) ? v.join("/") : (v ?? "");
}

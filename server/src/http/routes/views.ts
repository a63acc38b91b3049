import { readFile } from "node:fs/promises";
import { Router } from "express";
import type { Request, Response } from "express";
import { isRemoteUri, MediaError, mimeOfFormat, resolveMediaPath, type DatasetHandle } from "@tessera/dataset";
import type { Row, TableName, TableSchema } from "@tessera/shared-crdt";
import { sendBytes } from "../binary.js";
import { describeColumns } from "../catalogue.js";
import { declaredTable, openDataset, param, type AppContext } from "../context.js";
import { badRequest, notFound } from "../errors.js";
import { checkFilters } from "../explorerQuery.js";
import { PyFloat, sendJson } from "../json.js";
import { mediaSrc } from "../mediaSrc.js";
import { pageOf, pageQuery, paginated, type Pagination } from "../pagination.js";
import type { QueryParamDoc, RouteHandler, RouteSpec } from "../routeTable.js";
import { paginatedOf, ref } from "../schemas.js";
import { jpegThumbnail, PREVIEW_SIZES } from "../thumbnail.js";
import { whereToFilters } from "../whereClause.js";
import { paginationDocs, whereDoc } from "./docs.js";
import { frameBatchRoute } from "./frameBatch.js";
import { videoFramesRoute } from "./videoFrames.js";

/**
 * Views and media (Pixano `routers/views.py`): images, frame sequences, texts and (Tessera) videos —
 * list, get, embedded blob, thumbnail, and per-record lists. Responses carry `src`, the URL a
 * browser loads: the row's `uri` (relative ones through `/media/`) or its `/blob` route.
 */

interface ViewKind {
  readonly table: TableName;
  readonly resource: string;
  readonly singular: string;
  readonly model: string;
  readonly media: boolean;
  readonly respond: (ctx: AppContext, datasetId: string, row: Row) => Record<string, unknown>;
}

const str = (v: unknown) => (typeof v === "string" ? v : "");
const int = (v: unknown) => (typeof v === "number" ? v : 0);
const float = (v: unknown) => new PyFloat(typeof v === "number" ? v : 0);

function head(row: Row): Record<string, unknown> {
  return {
    id: str(row.id),
    record_id: str(row.record_id),
    logical_name: str(row.logical_name),
    created_at: str(row.created_at),
    updated_at: str(row.updated_at),
  };
}

function src(ctx: AppContext, datasetId: string, resource: string, row: Row): string {
  const uri = str(row.uri);
  if (uri) return mediaSrc(uri, ctx.mediaDir);
  return `/datasets/${encodeURIComponent(datasetId)}/${resource}/${encodeURIComponent(str(row.id))}/blob`;
}

const KINDS: readonly ViewKind[] = [
  {
    table: "images",
    resource: "images",
    singular: "image",
    model: "ImageResponse",
    media: true,
    respond: (ctx, ds, row) => ({
      ...head(row),
      width: int(row.width),
      height: int(row.height),
      format: str(row.format),
      src: src(ctx, ds, "images", row),
    }),
  },
  {
    table: "sequence_frames",
    resource: "sframes",
    singular: "sframe",
    model: "SFrameResponse",
    media: true,
    respond: (ctx, ds, row) => ({
      ...head(row),
      width: int(row.width),
      height: int(row.height),
      format: str(row.format),
      timestamp: float(row.timestamp),
      frame_index: int(row.frame_index),
      src: src(ctx, ds, "sframes", row),
    }),
  },
  {
    table: "texts",
    resource: "texts",
    singular: "text",
    model: "TextResponse",
    media: false,
    respond: (_ctx, _ds, row) => ({ ...head(row), content: str(row.content), uri: str(row.uri) }),
  },
  {
    table: "videos",
    resource: "videos",
    singular: "video",
    model: "VideoResponse",
    media: true,
    respond: (ctx, ds, row) => ({
      ...head(row),
      num_frames: int(row.num_frames),
      fps: float(row.fps),
      width: int(row.width),
      height: int(row.height),
      format: str(row.format),
      duration: float(row.duration),
      from_timestamp: float(row.from_timestamp ?? 0),
      to_timestamp: float(row.to_timestamp ?? -1),
      src: src(ctx, ds, "videos", row),
    }),
  },
];

const LIST_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  images: ["id", "record_id", "logical_name", "uri", "width", "height", "format"],
  sequence_frames: ["id", "record_id", "logical_name", "uri", "width", "height", "format", "timestamp", "frame_index"],
  texts: ["id", "record_id", "logical_name", "uri", "content"],
  videos: [
    "id",
    "record_id",
    "logical_name",
    "uri",
    "num_frames",
    "fps",
    "width",
    "height",
    "format",
    "duration",
    "from_timestamp",
    "to_timestamp",
  ],
};

function columnsFor(schema: TableSchema): string[] {
  const present = new Set(schema.columns.map((c) => c.name));
  return (LIST_COLUMNS[schema.table.name] ?? []).filter((c) => present.has(c));
}

const listQuery = [
  ...paginationDocs,
  { name: "record_id", schema: { type: "string" } },
  { name: "view_name", schema: { type: "string" } },
  whereDoc,
] as const satisfies readonly QueryParamDoc[];
const recordListQuery = [
  ...paginationDocs,
  { name: "view_name", schema: { type: "string" } },
  whereDoc,
] as const satisfies readonly QueryParamDoc[];

/** What the view handlers read of the request: its path parameters and headers (the query comes checked). */
type ViewRequest = Pick<Request, "params" | "headers">;

/** The checked query of a view listing (the record-scoped listing has no `record_id` parameter). */
type ListQuery = Pagination & {
  readonly record_id?: string | undefined;
  readonly view_name: string | undefined;
  readonly where: string | undefined;
};

function viewTable(handle: DatasetHandle, kind: ViewKind): TableSchema {
  const schema = declaredTable(handle, kind.table);
  if (!schema) throw notFound(`No table found for resource '${kind.resource}'.`);
  return schema;
}

async function listViews(
  ctx: AppContext,
  kind: ViewKind,
  req: ViewRequest,
  res: Response,
  query: ListQuery,
  recordId: string | undefined,
): Promise<void> {
  const datasetId = param(req.params, "dataset_id");
  const handle = await openDataset(ctx, datasetId);
  const page = pageOf(query);
  const rid = recordId ?? query.record_id;
  const { view_name: viewName, where } = query;
  const schema = viewTable(handle, kind);
  const filters = [
    ...(rid ? [{ column: "record_id", op: "eq" as const, values: [rid] }] : []),
    ...(viewName ? [{ column: "logical_name", op: "eq" as const, values: [viewName] }] : []),
    ...checkFilters(describeColumns(schema), whereToFilters(where)),
  ];
  const result = await handle.query(kind.table, {
    filters,
    ...pageQuery(page),
    columns: columnsFor(schema),
  });
  sendJson(
    res,
    200,
    paginated(
      result.items.map((row) => kind.respond(ctx, handle.id, row)),
      result.total,
      page,
    ),
  );
}

/** The view's media bytes: embedded `raw_bytes`, else the file its `uri` names inside `DATA_DIR/media`. */
async function mediaBytes(ctx: AppContext, row: Row): Promise<Uint8Array | null> {
  const raw = row.raw_bytes;
  if (raw instanceof Uint8Array && raw.length > 0) return raw;
  const uri = str(row.uri);
  if (uri === "" || isRemoteUri(uri)) return null;
  try {
    // The library resolves symlinks and refuses anything outside the media folder (MediaError → 400).
    return new Uint8Array(await readFile(await resolveMediaPath(ctx.mediaDir, uri)));
  } catch (err) {
    if (err instanceof MediaError && err.reason === "not_found") return null;
    if (err instanceof Error && "code" in err && (err.code === "ENOENT" || err.code === "EISDIR")) return null;
    throw err;
  }
}

async function sendBlob(ctx: AppContext, kind: ViewKind, req: ViewRequest, res: Response): Promise<void> {
  const handle = await openDataset(ctx, param(req.params, "dataset_id"));
  viewTable(handle, kind);
  const id = param(req.params, "id");
  const row = await handle.get(kind.table, id, ["id", "raw_bytes", "format", "uri"]);
  if (!row) throw notFound(`Resource '${id}' not found.`);
  const bytes = await mediaBytes(ctx, row);
  if (!bytes) throw notFound(`Resource '${id}' has no embedded blob.`);
  const format = str(row.format);
  const type = format ? mimeOfFormat(format) : mimeOfFormat(str(row.uri).split(".").pop());
  // Revalidate each time (cheap with the ETag): a view can be re-imported under the same id.
  sendBytes(req, res, bytes, { contentType: type, ranges: true, cacheControl: "no-cache" });
}

async function sendPreview(
  ctx: AppContext,
  kind: ViewKind,
  req: ViewRequest,
  res: Response,
  size: number | undefined,
): Promise<void> {
  const handle = await openDataset(ctx, param(req.params, "dataset_id"));
  if (size !== undefined && !(PREVIEW_SIZES as readonly number[]).includes(size)) {
    throw badRequest(`Invalid preview size ${size}; allowed: [${PREVIEW_SIZES.join(", ")}]`);
  }
  viewTable(handle, kind);
  const id = param(req.params, "id");
  const row = await handle.get(kind.table, id, ["id", "preview", "preview_format"]);
  if (!row) throw notFound(`Resource '${id}' not found.`);
  let content: Uint8Array | null = null;
  let format = "";
  if (size !== undefined) {
    const full = await handle.get(kind.table, id, ["id", "raw_bytes", "uri"]);
    const bytes = full ? await mediaBytes(ctx, full) : null;
    content = bytes ? await jpegThumbnail(bytes, size) : null;
    format = "jpeg";
  }
  if (!content) {
    const stored = row.preview;
    format = str(row.preview_format);
    if (!(stored instanceof Uint8Array) || stored.length === 0 || !format)
      throw notFound(`Resource '${id}' has no preview.`);
    content = stored;
  }
  sendBytes(req, res, content, { contentType: mimeOfFormat(format), cacheControl: "public, max-age=3600" });
}

export function viewsRouter(ctx: AppContext): Router {
  const router = Router();
  const base = "/datasets/{dataset_id}";
  const add = <const S extends RouteSpec>(spec: S, handler: RouteHandler<S>) => ctx.routes.add(router, spec, handler);

  // The frame batch is more specific than /records/{record_id}/sframes; register it first.
  frameBatchRoute(ctx, router);
  videoFramesRoute(ctx, router);

  for (const kind of KINDS) {
    const tags = ["Views"];
    const page = {
      "200": { description: "A page of views.", content: { "application/json": paginatedOf(ref(kind.model)) } },
    };
    add(
      {
        method: "get",
        path: `${base}/${kind.resource}`,
        operationId: `list_${kind.resource}`,
        summary: `List ${kind.resource}`,
        tags,
        query: listQuery,
        responses: page,
      },
      (req, res) => listViews(ctx, kind, req, res, req.query, undefined),
    );
    add(
      {
        method: "get",
        path: `${base}/${kind.resource}/{id}`,
        operationId: `get_${kind.singular}`,
        summary: `Get a ${kind.singular}`,
        tags,
        responses: { "200": { description: "The view.", content: { "application/json": ref(kind.model) } } },
      },
      async (req, res) => {
        const handle = await openDataset(ctx, param(req.params, "dataset_id"));
        const schema = viewTable(handle, kind);
        const id = param(req.params, "id");
        const row = await handle.get(kind.table, id, columnsFor(schema));
        if (!row) throw notFound(`Resource '${id}' not found.`);
        sendJson(res, 200, kind.respond(ctx, handle.id, row));
      },
    );
    if (kind.media) {
      add(
        {
          method: "get",
          path: `${base}/${kind.resource}/{id}/blob`,
          operationId: `get_${kind.singular}_blob`,
          summary: `Media bytes of a ${kind.singular}`,
          tags,
          responses: {
            "200": {
              description: "The media bytes (single byte ranges honoured).",
              content: { "application/octet-stream": { type: "string", format: "binary" } },
            },
            "206": { description: "Partial content." },
            "304": { description: "Not modified (ETag)." },
          },
        },
        (req, res) => sendBlob(ctx, kind, req, res),
      );
      add(
        {
          method: "get",
          path: `${base}/${kind.resource}/{id}/preview`,
          operationId: `get_${kind.singular}_preview`,
          summary: `Thumbnail of a ${kind.singular}`,
          tags,
          query: [
            {
              name: "size",
              schema: { type: "integer" },
              description: `Resize from the full media instead of the stored thumbnail: one of ${PREVIEW_SIZES.join(", ")} (another is a 400).`,
            },
          ],
          responses: {
            "200": { description: "The thumbnail.", content: { "image/*": { type: "string", format: "binary" } } },
            "304": { description: "Not modified (ETag)." },
          },
        },
        (req, res) => sendPreview(ctx, kind, req, res, req.query.size),
      );
    }
    add(
      {
        method: "get",
        path: `${base}/records/{record_id}/${kind.resource}`,
        operationId: `list_record_${kind.resource}`,
        summary: `List a record's ${kind.resource}`,
        tags,
        query: recordListQuery,
        responses: page,
      },
      (req, res) => listViews(ctx, kind, req, res, req.query, param(req.params, "record_id")),
    );
  }
  return router;
}

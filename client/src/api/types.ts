import type { RecordRow } from "@tessera/shared-crdt";
import type {
  ColumnDescriptor,
  DatasetInfoResponse,
  DatasetResponse,
  FilterSchemaResponse,
  ImageResponse,
  SFrameResponse,
  NeighborsResponse,
  PreviewDescriptor,
  WorkflowResponse,
} from "@tessera/shared-crdt/api";

/**
 * Response shapes of the REST routes the client uses (Pixano's, plus Tessera's collaboration routes).
 * Where shared-crdt's `api` declares a route's schema, the type here is that schema's `Static<>`:
 * the server validates and documents with the same declaration.
 */

export type { Page, PreviewDescriptor } from "@tessera/shared-crdt/api";

export type Neighbors = NeighborsResponse;

/** `POST /datasets/{id}/records/{rid}/workflow`: the transition and the record after it. */
export type WorkflowReply = Omit<WorkflowResponse, "record"> & { readonly record: RecordItem };

/** `GET /datasets` item: the dataset's `info.json` plus `num_records`. */
export type DatasetSummary = DatasetInfoResponse;

export type { FeatureValues, FeatureValuesEntry } from "@tessera/shared-crdt/api";

/** `GET /datasets/{id}`. */
export type DatasetDetail = DatasetResponse;

/**
 * A record as listed (`include=view_previews`): the records table's base columns as shared-crdt's
 * table definition types them (the server's `RecordResponse` is derived from the same definition),
 * custom fields as extra keys.
 */
export type RecordItem = Readonly<RecordRow> & {
  readonly view_previews?: Readonly<Record<string, PreviewDescriptor>>;
  readonly [key: string]: unknown;
};

/** A column of `GET /datasets/{id}/filters`. */
export type FilterColumn = ColumnDescriptor;

/** `GET /datasets/{id}/filters`. */
export type FilterDocument = FilterSchemaResponse;

/** An image or a sequence frame (`/records/{rid}/images|sframes`). */
export type ViewItem = ImageResponse & Pick<SFrameResponse, "frame_index" | "timestamp">;

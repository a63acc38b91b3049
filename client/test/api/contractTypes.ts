import type { RecordRow } from "@tessera/shared-crdt";
import type {
  ColumnDescriptor,
  DatasetInfoResponse,
  DatasetResponse,
  FeatureValues as FeatureValuesSchema,
  ImageResponse,
  SFrameResponse,
  FilterSchemaResponse,
  NeighborsResponse,
  PreviewDescriptor as PreviewDescriptorSchema,
  WorkflowResponse,
} from "@tessera/shared-crdt/api";
import type {
  DatasetDetail,
  DatasetSummary,
  FeatureValues,
  FilterColumn,
  FilterDocument,
  Neighbors,
  PreviewDescriptor,
  RecordItem,
  ViewItem,
  WorkflowReply,
} from "../../src/api/types.js";

/**
 * Type-level assertions, checked by `tsc -b` (not a vitest file): the client's REST types ARE the
 * `Static<>` of the schemas (shared-crdt exports each schema's `Static<>` under its name) the server validates, documents and answers with — not a hand-written
 * copy that could drift. A change to one side that the other does not follow fails the build.
 */

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof: T): void {}

assertType<Equal<FilterDocument, FilterSchemaResponse>>(true);
assertType<Equal<FilterColumn, ColumnDescriptor>>(true);
assertType<Equal<Neighbors, NeighborsResponse>>(true);
assertType<Equal<PreviewDescriptor, PreviewDescriptorSchema>>(true);
assertType<Equal<Omit<WorkflowReply, "record">, Omit<WorkflowResponse, "record">>>(true);
assertType<Equal<WorkflowReply["record"], RecordItem>>(true);

// A hand-written look-alike is caught: here `indexed` is missing, so the types differ.
// @ts-expect-error FilterColumn is the schema's type, not this interface.
assertType<Equal<FilterColumn, Omit<ColumnDescriptor, "indexed">>>(true);

assertType<Equal<DatasetSummary, DatasetInfoResponse>>(true);
assertType<Equal<DatasetDetail, DatasetResponse>>(true);
assertType<Equal<FeatureValues, FeatureValuesSchema>>(true);
// Both listings the client reads as views (images, sframes) answer items that are ViewItems.
type Assignable<A, B> = [A] extends [B] ? true : false;
assertType<Assignable<ImageResponse, ViewItem>>(true);
assertType<Assignable<SFrameResponse, ViewItem>>(true);

// A record's base fields are the records table definition's row type (what RecordResponse documents).
assertType<Assignable<RecordItem, Readonly<RecordRow>>>(true);
assertType<Assignable<RecordRow, RecordItem>>(true);
// @ts-expect-error a record without its table's `status` column is not a RecordItem.
assertType<Assignable<Omit<RecordRow, "status">, RecordItem>>(true);

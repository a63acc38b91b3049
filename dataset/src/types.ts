import type { DatasetInfo, DatasetSchema, Filter, Row, SortSpec, TableName } from "@tessera/shared-crdt";

/**
 * The public contract of `@tessera/dataset` (Pixano's Python `Dataset` in TypeScript). The REST
 * server, the CLI and the workers use only what is declared here.
 */

/** A page request. Keyset (`after`) or offset pagination; `limit` is 1..1000 at the API. */
export interface QueryOptions {
  readonly filters?: readonly Filter[];
  /** Exact-match shortcuts used by Pixano's resource routes (`record_id`, `entity_id`, …). */
  readonly where?: Readonly<Record<string, string | number | boolean>>;
  /** Free text: case-insensitive substring over `comment`/`id` and custom string columns. */
  readonly q?: string;
  /** Order is (sort column, then `id` ascending); without `sort` (and `after`), storage order. */
  readonly sort?: SortSpec;
  readonly limit?: number;
  readonly offset?: number;
  /**
   * Keyset pagination: rows strictly after this sort key (the last row of the previous page). Without
   * `sort` the order is `id` ascending, so the first page should ask for `sort: {column: "id"}`.
   * `sortValue` may be omitted: it is then read from the row `id`.
   */
  readonly after?: { readonly id: string; readonly sortValue?: unknown };
  /** Columns to read (default: all but media bytes — `raw_bytes`, `preview`). */
  readonly columns?: readonly string[];
}

export interface Page<T = Row> {
  readonly items: T[];
  readonly total: number;
}

export interface DatasetSummary {
  readonly id: string;
  readonly name: string;
  /** Folder inside the library (not the id). */
  readonly folder: string;
  readonly info: DatasetInfo;
  readonly numRecords: number;
}

/**
 * `features_values.json`: `{item, views, entities, annotations}` (0.7; 0.8 adds `records`,
 * `entity_dynamic_states`, `embeddings`) → table → constraints.
 */
export interface FeatureConstraint {
  name: string;
  restricted: boolean;
  values: Array<string | number | boolean>;
}
export type FeaturesValues = Record<
  "item" | "views" | "entities" | "annotations",
  Record<string, FeatureConstraint[]>
> & {
  /** Pixano 0.8 also writes `records`, `entity_dynamic_states`, `embeddings`; other groups are kept as read. */
  [group: string]: Record<string, FeatureConstraint[]>;
};

export interface StatsEntry {
  name: string;
  type: "numerical" | "categorical";
  histogram: Array<Record<string, string | number>>;
  range: [number, number] | null;
}

/** What a cascading delete removed, per table. */
export type DeleteReport = Partial<Record<TableName, number>>;

/** Options of `add`/`addRecords`/`upsert`. */
export interface AddOptions {
  /** Keep `created_at`/`updated_at` given in the rows (imports); default: stamp them like Pixano. */
  readonly keepTimestamps?: boolean;
  /** Skip the foreign-key checks (`add` only; imports that checked the whole batch themselves). */
  readonly skipForeignKeys?: boolean;
  /**
   * The rows were already checked against this table's schema by the caller, complete and in
   * column order (imports check them the way Pixano 0.8 does, which is more lenient than the
   * live-edit rules): they are written as given.
   */
  readonly prevalidated?: boolean;
  /**
   * `add` only: the caller guarantees that no row's id is stored in its table yet (an import
   * building a dataset of its own, whose ids it checked in memory), so the stored ids are not
   * looked up — a lookup that scans every unindexed fragment written so far, per call.
   */
  readonly newIds?: boolean;
  /**
   * `upsert` only: a row whose id is stored under another `record_id` is neither moved nor
   * overwritten (the merge matches only rows of the same record); the call then fails with an
   * `IntegrityError` (`duplicate_id`) naming every such row, the other rows being written. The
   * persist worker's never-write guard (SPEC D-OWNER).
   */
  readonly sameRecordOnly?: boolean;
  /**
   * `upsert` only: a row that fails validation is still written when the stored row with its id
   * fails with at least the same issues (a row Pixano wrote may stay as lenient as Pixano is;
   * SPEC D-REPAIR). The persist worker writes edits of such rows this way.
   */
  readonly lenientToStored?: boolean;
  /**
   * `upsert` only: called with the Lance version each commit of this call produced (the persist
   * worker records its own commits so a later load can tell them from an outside writer's).
   */
  readonly onCommit?: CommitListener;
}

/** Told the table and the Lance version of a commit a write made (exactly that commit, from its own result). */
export type CommitListener = (table: TableName, version: number) => void;

/** The bytes and format of an embedded view (`raw_bytes` + `format`) or of its `preview`. */
export interface MediaBytes {
  readonly bytes: Uint8Array;
  readonly format: string;
}

export interface DatasetHandle {
  readonly id: string;
  readonly path: string;
  readonly info: DatasetInfo;
  readonly schema: DatasetSchema;
  readonly featuresValues: FeaturesValues;

  /** Tables present on disk. */
  tables(): Promise<TableName[]>;
  count(table: TableName, options?: Pick<QueryOptions, "filters" | "where" | "q">): Promise<number>;
  query(table: TableName, options?: QueryOptions): Promise<Page>;
  /** Every matching row in storage order, not counted (reads that need no total or page, e.g. a record's rows). */
  rows(table: TableName, options?: Pick<QueryOptions, "filters" | "where" | "q" | "columns">): Promise<Row[]>;
  get(table: TableName, id: string, columns?: readonly string[]): Promise<Row | null>;
  getMany(table: TableName, ids: readonly string[], columns?: readonly string[]): Promise<Row[]>;
  /** Validates, checks ids are new and foreign keys resolve (Pixano's rules), then appends. */
  add(table: TableName, rows: readonly unknown[], options?: AddOptions): Promise<Row[]>;
  /**
   * Several tables at once, in Pixano's dependency order; everything is checked before anything is
   * written, and rows of the call satisfy each other's foreign keys.
   */
  addRecords(
    data: Partial<Record<TableName, readonly unknown[]>>,
    options?: AddOptions,
  ): Promise<Partial<Record<TableName, Row[]>>>;
  /** Partial update merged over the stored row, re-validated. */
  update(table: TableName, id: string, patch: Readonly<Record<string, unknown>>): Promise<Row>;
  /** Insert-or-replace by id, validated, no FK checks (used by the persist worker and imports). */
  upsert(table: TableName, rows: readonly unknown[], options?: AddOptions): Promise<void>;
  /**
   * Deletes rows and everything that hangs on them, by the shared reference table (SPEC
   * D-CASCADE; like Pixano's Python `delete_records` and its app's deletes): record → views,
   * entities, annotations, embeddings; entity → child entities, dynamic states, annotations,
   * tracklets; tracklet → its per-frame annotations and dynamic states; annotation → relations on
   * it; `entity_dynamic_state_id` and `messages.entity_ids` cleared.
   */
  delete(table: TableName, ids: readonly string[]): Promise<DeleteReport>;
  /**
   * Deletes exactly these rows, no cascade and no scans: for callers whose set is already closed
   * under D-CASCADE (the persist worker folding a record document). Returns how many ids were asked.
   */
  deleteExact(table: TableName, ids: readonly string[], onCommit?: CommitListener): Promise<number>;
  /**
   * The current Lance version of every table present on disk (another process's commits included):
   * a cheap way to know whether any row may have changed since versions seen earlier.
   */
  tableVersions(): Promise<ReadonlyMap<TableName, number>>;
  /** Record neighbours inside a filtered/sorted order: previous/next ids and 1-based position. */
  neighbors(
    recordId: string,
    options: Pick<QueryOptions, "filters" | "q" | "sort">,
  ): Promise<{
    previous: string | null;
    next: string | null;
    position: number;
    total: number;
  } | null>;
  computeStats(): Promise<StatsEntry[]>;
  /** Creates a table missing on disk (declaring an annotation table in info.json if needed). */
  ensureTable(table: TableName): Promise<void>;
  /** Computes and writes `stats.json`. */
  writeStats(): Promise<StatsEntry[]>;
  /** Rows per schema group and table (Pixano 0.8's `GET /datasets/{id}/stats` body). */
  countsByGroup(): Promise<Record<string, Record<string, number>>>;
  /** Writes `features_values.json`. */
  setFeaturesValues(values: FeaturesValues): Promise<void>;
  /** Embedded media of a view row (`raw_bytes`, `format`); null when absent or empty. */
  readMedia(table: TableName, id: string): Promise<MediaBytes | null>;
  /** The stored thumbnail of a view row (`preview`, `preview_format`); null when empty. */
  readPreview(table: TableName, id: string): Promise<MediaBytes | null>;
  /** `previews/dataset_preview.jpg` (made on first use); null without embedded images. */
  preview(): Promise<Uint8Array | null>;
  /** Columns of a table that carry an index (LanceDB `listIndices`); empty when the table is absent. */
  indexedColumns(table: TableName): Promise<ReadonlySet<string>>;
  /** BTREE on `id` and `record_id` of every table, then compaction. */
  optimize(): Promise<void>;
  close(): void;
}

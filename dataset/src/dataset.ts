import { promises as fs } from "node:fs";
import * as path from "node:path";
import {
  datasetSchemaOf,
  TABLES,
  tableSchemaFromManifest,
  type DatasetInfo,
  type DatasetSchema,
  type Row,
  type TableName,
  type TableSchema,
} from "@tessera/shared-crdt";
import { compileFilters } from "./compileFilters.js";
import {
  DB_DIR,
  INFO_FILE,
  PREVIEWS_DIR,
  readFeaturesValues,
  readInfo,
  writeFeaturesValues,
  writeInfo,
  writeStats,
} from "./datasetFiles.js";
import { mosaicImages, readEmbeddedMedia, readStoredPreview } from "./embeddedMedia.js";
import { DatasetError, QueryError } from "./errors.js";
import { optimizeTable } from "./indexes.js";
import { datasetMosaic } from "./previews.js";
import {
  ID_SORT,
  keysetClause,
  orderedIds,
  readByIds,
  readRows,
  resolveColumns,
  resolveSort,
  sortedRows,
  sortValueOf,
} from "./reader.js";
import { andAll, sqlIdent, sqlLiteralOf, sqlString } from "./sql.js";
import { computeStats } from "./stats.js";
import { embeddingSchemaFromDisk, TableStore, type OpenTable } from "./tableStore.js";
import type {
  AddOptions,
  CommitListener,
  DatasetHandle,
  DeleteReport,
  FeaturesValues,
  MediaBytes,
  Page,
  QueryOptions,
  StatsEntry,
} from "./types.js";
import {
  addManyRows,
  addRows,
  deleteExactRows,
  deleteRows,
  updateRow,
  upsertRows,
  type WriteContext,
} from "./writes.js";

export interface DatasetOptions {
  /** Clock for record timestamps (tests inject one). */
  readonly now?: () => Date;
  /** Rows added in one call above which the tables are indexed and compacted (default 1000). */
  readonly optimizeAfterRows?: number;
  /**
   * Writes (commits) after which the tables are indexed and compacted (default 50): many small
   * writes — the persist worker's — otherwise pile up Lance versions and every later write slows.
   */
  readonly optimizeAfterWrites?: number;
  /**
   * Compaction also removes the Lance versions older than this (default: Lance's own, 7 days). A
   * writer committing often (the persist worker) sets it so versions stay bounded.
   */
  readonly pruneVersionsOlderThanMs?: number;
  /** Sorted queries matching at most this many rows are sorted in memory (default `SMALL_RESULT`). */
  readonly sortInMemoryBelow?: number;
}

/**
 * One dataset folder (Pixano's Python `Dataset` in TypeScript): typed reads with structured filters,
 * sort and pagination; validated writes with Pixano's referential rules; cascading deletes; stats,
 * previews and media bytes. Writes are serialised per instance (LanceDB has no unique constraint:
 * one writer per dataset).
 */
export class Dataset implements DatasetHandle {
  private writeQueue: Promise<unknown> = Promise.resolve();
  private writesSinceOptimize = 0;
  private infoMtime = 0;
  private declared: DatasetSchema;

  private constructor(
    readonly path: string,
    private readonly store: TableStore,
    private currentInfo: DatasetInfo,
    private currentFeatures: FeaturesValues,
    private readonly options: DatasetOptions,
  ) {
    this.declared = datasetSchemaOf(currentInfo);
  }

  /** Opens the dataset folder at `dir` (must hold `info.json`). */
  static async open(dir: string, options: DatasetOptions = {}): Promise<Dataset> {
    const info = await readInfo(dir);
    const features = await readFeaturesValues(dir);
    const store = await TableStore.connect(path.join(dir, DB_DIR));
    const ds = new Dataset(dir, store, info, features, options);
    ds.infoMtime = (await fs.stat(path.join(dir, INFO_FILE))).mtimeMs;
    return ds;
  }

  get id(): string {
    return this.currentInfo.id;
  }
  get info(): DatasetInfo {
    return this.currentInfo;
  }
  get schema(): DatasetSchema {
    return this.declared;
  }
  get featuresValues(): FeaturesValues {
    return this.currentFeatures;
  }

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }

  /** Re-reads `info.json` and `features_values.json` if another writer changed them. */
  async refresh(): Promise<boolean> {
    const mtime = (await fs.stat(path.join(this.path, INFO_FILE))).mtimeMs;
    if (mtime === this.infoMtime) return false;
    const info = await readInfo(this.path);
    this.currentInfo = info;
    this.declared = datasetSchemaOf(info);
    this.currentFeatures = await readFeaturesValues(this.path);
    this.infoMtime = mtime;
    return true;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(fn, fn);
    this.writeQueue = run.catch(() => undefined); // the caller gets the error; the queue moves on
    return run;
  }

  // -------------------------------------------------------------------------------------------
  // tables
  // -------------------------------------------------------------------------------------------

  /** The schema a table is declared with (base class when info.json does not declare it). */
  private declaredFor(
    name: TableName,
  ): TableSchema | ((disk: Parameters<typeof embeddingSchemaFromDisk>[0]) => TableSchema) {
    if (name === "embeddings") return embeddingSchemaFromDisk;
    return this.declared.tables.get(name) ?? tableSchemaFromManifest(null, name);
  }

  async tables(): Promise<TableName[]> {
    return this.store.names();
  }

  async tableVersions(): Promise<ReadonlyMap<TableName, number>> {
    return this.store.versions();
  }

  /** An open table with its layout, or null when it is not on disk. */
  async table(name: TableName): Promise<OpenTable | null> {
    return this.store.open(name, this.declaredFor(name));
  }

  /** Columns of a table covered by an index (any kind, as Pixano's `_indexed_columns` counts them). */
  async indexedColumns(name: TableName): Promise<ReadonlySet<string>> {
    const t = await this.table(name);
    if (!t) return new Set();
    return new Set((await t.table.listIndices()).flatMap((i) => i.columns));
  }

  /** A table for reading: null (empty) when absent but declared or auto-creatable, else an error. */
  private async readable(name: TableName): Promise<OpenTable | null> {
    const t = await this.table(name);
    if (t) return t;
    if (this.declared.tables.has(name) || TABLES[name].group === "annotations") return null;
    throw new DatasetError("table_not_found", `No table '${name}' in dataset '${this.id}'.`);
  }

  /**
   * A table for writing. Declared tables missing on disk are created with their declared schema;
   * undeclared annotation tables with the base schema, and their slot is written back to
   * `info.json` (Pixano's `resolve_table`). Declared columns an older layout lacks are added.
   */
  private async tableForWrite(name: TableName): Promise<OpenTable> {
    const existing = await this.table(name);
    if (existing) return this.evolve(existing);
    const def = TABLES[name];
    let schema = this.declared.tables.get(name);
    if (!schema) {
      if (def.group !== "annotations" || def.slot === null) {
        throw new DatasetError("table_not_found", `No table '${name}' in dataset '${this.id}'.`);
      }
      const info: DatasetInfo = { ...this.currentInfo, [def.slot]: { base: def.baseClass, fields: {} } };
      await writeInfo(this.path, info);
      this.currentInfo = info;
      this.declared = datasetSchemaOf(info);
      this.infoMtime = (await fs.stat(path.join(this.path, INFO_FILE))).mtimeMs;
      schema = this.declared.tables.get(name)!;
    }
    return this.store.create(name, schema);
  }

  /**
   * Makes sure a table exists and is declared (creating an undeclared annotation table as a write
   * would), so writers that go through record documents see it in {@link schema}.
   */
  async ensureTable(name: TableName): Promise<void> {
    await this.exclusive(async () => {
      await this.tableForWrite(name);
    });
  }

  /** Adds declared columns an older table lacks, when their default is a SQL scalar. */
  private async evolve(t: OpenTable): Promise<OpenTable> {
    const addable = t.layout.missing.filter((c) => ["utf8", "int64", "float64", "bool"].includes(c.type.kind));
    if (addable.length === 0) return t;
    const ctx = { now: () => this.now() };
    await t.table.addColumns(
      addable.map((c) => {
        const literal = sqlLiteralOf(c.type, c.default(ctx));
        const cast =
          c.type.kind === "int64"
            ? `CAST(${literal} AS BIGINT)`
            : c.type.kind === "float64"
              ? `CAST(${literal} AS DOUBLE)`
              : literal;
        return { name: c.name, valueSql: cast };
      }),
    );
    return (await this.table(t.name)) ?? t;
  }

  private writeContext(): WriteContext {
    return {
      now: () => this.now(),
      table: (name) => this.table(name),
      tableForWrite: (name) => this.tableForWrite(name),
      present: () => this.tables(),
    };
  }

  // -------------------------------------------------------------------------------------------
  // reads
  // -------------------------------------------------------------------------------------------

  async count(table: TableName, options: Pick<QueryOptions, "filters" | "where" | "q"> = {}): Promise<number> {
    const t = await this.readable(table);
    if (!t) return 0;
    const predicate = compileFilters(t.layout.schema, options);
    return t.table.countRows(predicate ?? undefined);
  }

  async query(table: TableName, options: QueryOptions = {}): Promise<Page> {
    const offset = options.offset ?? 0;
    const limit = options.limit;
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new QueryError("bad_pagination", "offset must be a non-negative integer.");
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0))
      throw new QueryError("bad_pagination", "limit must be a non-negative integer.");
    const t = await this.readable(table);
    if (!t) return { items: [], total: 0 };
    const predicate = compileFilters(t.layout.schema, options);
    const { columns, fill } = resolveColumns(t, options.columns);
    const sort = resolveSort(t, options.sort) ?? (options.after ? ID_SORT : null);
    let keyset: string | null = null;
    if (options.after && sort) {
      let value = options.after.sortValue;
      if (value === undefined && sort.column !== "id") {
        const found = await sortValueOf(t, sort, options.after.id);
        if (!found) throw new QueryError("bad_pagination", `after: no row '${options.after.id}' in '${table}'.`);
        value = found.value;
      }
      try {
        keyset = keysetClause(sort, options.after.id, value);
      } catch (err) {
        throw new QueryError(
          "bad_pagination",
          `after.sortValue does not fit column '${sort.column}': ${(err as Error).message}`,
        );
      }
    }
    const total = await t.table.countRows(predicate ?? undefined);
    const plan = { predicate: andAll(predicate, keyset), columns, fill };
    if (!sort) return { items: await readRows(t, plan, offset, limit), total };
    const remaining = keyset ? await t.table.countRows(plan.predicate ?? undefined) : total;
    return { items: await sortedRows(t, plan, sort, remaining, offset, limit, this.options.sortInMemoryBelow), total };
  }

  async rows(
    table: TableName,
    options: Pick<QueryOptions, "filters" | "where" | "q" | "columns"> = {},
  ): Promise<Row[]> {
    const t = await this.readable(table);
    if (!t) return [];
    const predicate = compileFilters(t.layout.schema, options);
    return readRows(t, { ...resolveColumns(t, options.columns), predicate }, 0, undefined);
  }

  async get(table: TableName, id: string, columns?: readonly string[]): Promise<Row | null> {
    const t = await this.readable(table);
    if (!t) return null;
    const plan = resolveColumns(t, columns);
    const rows = await readRows(t, { ...plan, predicate: `${sqlIdent("id")} = ${sqlString(id)}` }, 0, 1);
    return rows[0] ?? null;
  }

  async getMany(table: TableName, ids: readonly string[], columns?: readonly string[]): Promise<Row[]> {
    const t = await this.readable(table);
    if (!t) return [];
    return readByIds(t, [...new Set(ids)], resolveColumns(t, columns));
  }

  async neighbors(
    recordId: string,
    options: Pick<QueryOptions, "filters" | "q" | "sort"> = {},
  ): Promise<{ previous: string | null; next: string | null; position: number; total: number } | null> {
    const t = await this.readable("records");
    if (!t) return null;
    const predicate = compileFilters(t.layout.schema, options);
    const sort = resolveSort(t, options.sort) ?? ID_SORT;
    const target = await sortValueOf(t, sort, recordId, predicate);
    if (!target) return null;
    const before = andAll(predicate, keysetClause(sort, recordId, target.value, "before"));
    const after = andAll(predicate, keysetClause(sort, recordId, target.value, "after"));
    const [total, rank, next, previous] = await Promise.all([
      t.table.countRows(predicate ?? undefined),
      t.table.countRows(before ?? undefined),
      orderedIds(t, after, sort, 0, 1),
      orderedIds(t, before, sort, 0, 1, true),
    ]);
    return { previous: previous[0] ?? null, next: next[0] ?? null, position: rank + 1, total };
  }

  /** Row counts per schema group and table (Pixano 0.8's `GET /datasets/{id}/stats`). */
  async countsByGroup(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const name of await this.tables()) {
      const t = await this.table(name);
      if (!t) continue;
      (out[TABLES[name].group] ??= {})[name] = await t.table.countRows();
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // writes
  // -------------------------------------------------------------------------------------------

  add(table: TableName, rows: readonly unknown[], options: AddOptions = {}): Promise<Row[]> {
    return this.exclusive(async () => {
      const added = await addRows(this.writeContext(), table, rows, options);
      await this.optimizeAfter(added.length);
      return added;
    });
  }

  /**
   * Multi-table insert in Pixano's dependency order (records → views → entities → dynamic states →
   * annotations → embeddings); all rows are checked before any is written, and rows of the same
   * call satisfy each other's foreign keys.
   */
  addRecords(
    data: Partial<Record<TableName, readonly unknown[]>>,
    options: AddOptions = {},
  ): Promise<Partial<Record<TableName, Row[]>>> {
    return this.exclusive(async () => {
      const ordered = (Object.keys(TABLES) as TableName[])
        .filter((n) => data[n] !== undefined)
        .map((n) => [n, data[n]!] as const);
      const added = await addManyRows(this.writeContext(), ordered, options);
      await this.optimizeAfter([...added.values()].reduce((n, rows) => n + rows.length, 0));
      return Object.fromEntries(added) as Partial<Record<TableName, Row[]>>;
    });
  }

  update(table: TableName, id: string, patch: Readonly<Record<string, unknown>>): Promise<Row> {
    return this.exclusive(() => updateRow(this.writeContext(), table, id, patch));
  }

  async upsert(table: TableName, rows: readonly unknown[], options: AddOptions = {}): Promise<void> {
    await this.exclusive(async () => {
      await upsertRows(this.writeContext(), table, rows, options);
      await this.optimizeAfter(rows.length);
    });
  }

  delete(table: TableName, ids: readonly string[]): Promise<DeleteReport> {
    return this.exclusive(async () => {
      const report = await deleteRows(this.writeContext(), table, ids);
      await this.optimizeAfter(0);
      return report;
    });
  }

  deleteExact(table: TableName, ids: readonly string[], onCommit?: CommitListener): Promise<number> {
    return this.exclusive(async () => {
      const n = await deleteExactRows(this.writeContext(), table, ids, onCommit);
      await this.optimizeAfter(0);
      return n;
    });
  }

  private async optimizeAfter(rows: number): Promise<void> {
    this.writesSinceOptimize += 1;
    const manyRows = rows > (this.options.optimizeAfterRows ?? 1000);
    if (manyRows || this.writesSinceOptimize >= (this.options.optimizeAfterWrites ?? 50)) await this.optimizeUnlocked();
  }

  /** BTREE indexes on `INDEX_COLUMNS` of every non-empty table, then compaction. */
  optimize(): Promise<void> {
    return this.exclusive(() => this.optimizeUnlocked());
  }

  private async optimizeUnlocked(): Promise<void> {
    this.writesSinceOptimize = 0;
    const keep = this.options.pruneVersionsOlderThanMs;
    const pruneBefore = keep === undefined ? undefined : new Date(Date.now() - keep);
    for (const name of await this.tables()) {
      const t = await this.table(name);
      if (t) await optimizeTable(t, pruneBefore);
    }
  }

  // -------------------------------------------------------------------------------------------
  // files, stats, previews, media
  // -------------------------------------------------------------------------------------------

  async setFeaturesValues(values: FeaturesValues): Promise<void> {
    await writeFeaturesValues(this.path, values);
    this.currentFeatures = values;
  }

  computeStats(): Promise<StatsEntry[]> {
    return computeStats({
      schemaOf: async (name) => (await this.table(name))?.layout.schema ?? null,
      rows: async (name, columns) => {
        const t = await this.table(name);
        return t ? readRows(t, { predicate: null, columns, fill: [] }) : [];
      },
    });
  }

  /** Computes and writes `stats.json`. */
  async writeStats(): Promise<StatsEntry[]> {
    const stats = await this.computeStats();
    await writeStats(this.path, stats);
    return stats;
  }

  /** Embedded bytes and format of a view row; null when the row does not exist or has no embedded media. */
  async readMedia(table: TableName, id: string): Promise<MediaBytes | null> {
    return readEmbeddedMedia(await this.table(table), id);
  }

  /** The stored `preview` thumbnail of a view row and its format; null when empty. */
  async readPreview(table: TableName, id: string): Promise<MediaBytes | null> {
    return readStoredPreview(await this.table(table), id);
  }

  /**
   * `previews/dataset_preview.jpg`: read if present, else made from the first (up to) 4 embedded
   * images of the first image-like view table and written. Null when there is no embedded image.
   */
  async preview(): Promise<Uint8Array | null> {
    return datasetMosaic(path.join(this.path, PREVIEWS_DIR, "dataset_preview.jpg"), () =>
      mosaicImages((name) => this.table(name)),
    );
  }

  close(): void {
    this.store.close();
  }
}

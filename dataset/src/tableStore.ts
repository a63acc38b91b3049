import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { isTableName, tableSchemaFromManifest, type TableName, type TableSchema } from "@tessera/shared-crdt";
import { arrow, arrowSchemaOf, tableLayoutFromArrow, type TableLayout } from "./arrow.js";

/**
 * The Lance file format version new tables are written with. Pixano 0.8.0 (Python lancedb 0.29,
 * pylance 2.0) writes `2.0` (read off its fixtures' `data_storage_version`); LanceDB 0.31's default
 * is 2.1, which older Pixano cannot be assumed to read, so it is set explicitly.
 */
export const LANCE_DATA_STORAGE_VERSION = "2.0";

/** An open Lance table with its layout (on-disk columns reconciled with the declared schema). */
export interface OpenTable {
  readonly name: TableName;
  readonly table: lancedb.Table;
  readonly layout: TableLayout;
}

/**
 * One dataset's `db/` folder: a LanceDB connection with `readConsistencyInterval: 0` (every read
 * sees the latest version, including other processes' writes) and cached table handles.
 */
export class TableStore {
  private readonly handles = new Map<TableName, lancedb.Table>();
  /**
   * Each table's decoded on-disk Arrow schema, keyed by the mtime of its `_versions` folder (see
   * {@link diskSchema}); a fresh handle drops the entry.
   */
  private readonly schemas = new Map<TableName, CachedSchema>();

  private constructor(
    private readonly db: lancedb.Connection,
    readonly dir: string,
  ) {}

  static async connect(dir: string): Promise<TableStore> {
    return new TableStore(await lancedb.connect(dir, { readConsistencyInterval: 0 }), dir);
  }

  /** Canonical tables present on disk (other Lance tables in `db/` are ignored). */
  async names(): Promise<TableName[]> {
    return (await this.db.tableNames()).filter(isTableName);
  }

  /** The latest Lance version of every canonical table on disk (handles check out the latest: interval 0). */
  async versions(): Promise<Map<TableName, number>> {
    const names = await this.names();
    const handles = await Promise.all(names.map((n) => this.handle(n)));
    const versions = await Promise.all(handles.map((h) => (h ? h.version() : Promise.resolve(null))));
    const out = new Map<TableName, number>();
    names.forEach((n, i) => {
      const v = versions[i];
      if (v !== undefined && v !== null) out.set(n, v);
    });
    return out;
  }

  async handle(name: TableName): Promise<lancedb.Table | null> {
    const cached = this.handles.get(name);
    if (cached) return cached;
    if (!(await this.db.tableNames()).includes(name)) return null;
    const t = await this.db.openTable(name);
    this.handles.set(name, t);
    return t;
  }

  /** Opens a table and reconciles its on-disk schema with `declared`; null when it does not exist. */
  async open(
    name: TableName,
    declared: TableSchema | ((arrowSchema: ArrowSchema) => TableSchema),
  ): Promise<OpenTable | null> {
    const table = await this.handle(name);
    if (!table) return null;
    const diskSchema = await this.diskSchema(name, table);
    const expected = typeof declared === "function" ? declared(diskSchema) : declared;
    return { name, table, layout: tableLayoutFromArrow(diskSchema, expected) };
  }

  /**
   * `table`'s on-disk Arrow schema. LanceDB hands it over as Arrow IPC, and decoding it (or even
   * asking the table's version, which checks out the latest manifest) costs main-thread time on
   * every lookup. A schema only changes with a new Lance version, and every version adds a manifest
   * to `<table>.lance/_versions`, moving that folder's mtime; so the decoded schema is reused while
   * the mtime stays the same. Like git's "racily clean" rule, an mtime is trusted only if it was
   * already {@link SETTLED_MTIME_MS} old when the schema was read (a second write within the
   * filesystem's timestamp grain would leave the mtime unchanged).
   */
  private async diskSchema(name: TableName, table: lancedb.Table): Promise<ArrowSchema> {
    const mtimeMs = await versionsMtime(path.join(this.dir, `${name}.lance`, "_versions"));
    const cached = this.schemas.get(name);
    if (cached && cached.table === table && mtimeMs !== null && cached.mtimeMs === mtimeMs && cached.settled)
      return cached.schema;
    const readAt = Date.now();
    const schema = (await table.schema()) as ArrowSchema;
    if (mtimeMs === null) this.schemas.delete(name);
    else this.schemas.set(name, { table, mtimeMs, settled: readAt - mtimeMs > SETTLED_MTIME_MS, schema });
    return schema;
  }

  /** Creates an empty table with the exact Arrow schema of `schema` (no-op if it exists). */
  async create(name: TableName, schema: TableSchema): Promise<OpenTable> {
    const table = await this.db.createEmptyTable(name, arrowSchemaOf(schema), {
      mode: "create",
      existOk: true,
      storageOptions: { new_table_data_storage_version: LANCE_DATA_STORAGE_VERSION },
    });
    this.handles.set(name, table);
    this.schemas.delete(name);
    return { name, table, layout: tableLayoutFromArrow(await this.diskSchema(name, table), schema) };
  }

  close(): void {
    for (const t of this.handles.values()) t.close();
    this.handles.clear();
    this.schemas.clear();
    this.db.close();
  }
}

type ArrowSchema = InstanceType<typeof arrow.Schema>;

interface CachedSchema {
  readonly table: lancedb.Table;
  readonly mtimeMs: number;
  /** The mtime was old enough when the schema was read that a later write must change it. */
  readonly settled: boolean;
  readonly schema: ArrowSchema;
}

/** Coarser than any filesystem's timestamp grain Tessera runs on (ext4/xfs/tmpfs: ns; FAT: 2 s). */
const SETTLED_MTIME_MS = 2_500;

/** mtime of a table's `_versions` folder; null when it cannot be read (no caching then). */
async function versionsMtime(dir: string): Promise<number | null> {
  try {
    return (await fs.stat(dir)).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR")
      return null;
    throw err;
  }
}

/** The declared schema of an embeddings table, its vector dimension read off the disk. */
export function embeddingSchemaFromDisk(diskSchema: ArrowSchema): TableSchema {
  const vector = diskSchema.fields.find((f) => f.name === "vector");
  const dim = vector && arrow.DataType.isFixedSizeList(vector.type) ? vector.type.listSize : 0;
  return tableSchemaFromManifest(null, "embeddings", dim);
}

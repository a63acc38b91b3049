import { randomBytes } from "node:crypto";
import { readFile, unlink } from "node:fs/promises";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { arrowSchemaOf, LANCE_DATA_STORAGE_VERSION, type DatasetHandle } from "@tessera/dataset";
import { tableSchemaFromManifest } from "@tessera/shared-crdt";
import { writeFileAtomic } from "../../auth/atomicFile.js";
import { SearchError } from "./SearchError.js";

/**
 * A dataset's embeddings as Pixano 0.8 stores its record embeddings (`Dataset.create_record_embedding_table`):
 * the Lance table `embeddings` (`id`, `created_at`, `updated_at`, `record_id`, `view_id`, `frame_id`,
 * `vector fixed_size_list<float32>[dim]`, `shape list<int64>`) and the sidecar `embeddings.json` in
 * the dataset folder (`table`, `model_id`, `dim`, `metric`, `source_view`, `index_type`). Tessera
 * writes one vector per image view (Pixano: one per record); a record's distance is its closest
 * view's, as Pixano's `search_records` groups them.
 */
const EMBEDDINGS_TABLE = "embeddings";
const SIDECAR = "embeddings.json";

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function randomId(): string {
  return [...randomBytes(22)].map((b) => ALPHABET[b % ALPHABET.length]).join("");
}

/** Below this many vectors the search is an exact flat scan (fast at this size); from it on, an IVF index is built. */
const INDEX_MIN_ROWS = 5_000;

export interface EmbeddingSpace {
  readonly table: string;
  readonly model_id: string;
  readonly dim: number;
  readonly metric: "cosine";
  readonly source_view: string;
  readonly index_type: string;
}

type HealthStatus = "absent" | "missing_table" | "corrupt" | "empty" | "dim_mismatch" | "partial" | "ready";

export interface EmbeddingHealth {
  readonly status: HealthStatus;
  readonly model_id: string | null;
  readonly dim: number | null;
  /** Vectors stored. */
  readonly rows: number;
  /** Records in the dataset. */
  readonly records: number;
  /** Records with at least one vector. */
  readonly embeddedRecords: number;
  readonly detail: string | null;
}

/** The sidecar, or null when absent or unreadable (a broken sidecar degrades to "no embeddings", as in Pixano). */
export async function readSpace(handle: DatasetHandle): Promise<EmbeddingSpace | null> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(handle.path, SIDECAR), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || err instanceof SyntaxError) return null;
    throw err;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const dim = Number(r.dim);
  if (!Number.isInteger(dim) || dim <= 0) return null;
  return {
    table: typeof r.table === "string" ? r.table : EMBEDDINGS_TABLE,
    model_id: typeof r.model_id === "string" ? r.model_id : "",
    dim,
    metric: "cosine",
    source_view: typeof r.source_view === "string" ? r.source_view : "image",
    index_type: typeof r.index_type === "string" ? r.index_type : "IVF_PQ",
  };
}

async function connect(handle: DatasetHandle): Promise<lancedb.Connection> {
  return lancedb.connect(path.join(handle.path, "db"), { readConsistencyInterval: 0 });
}

/**
 * One LanceDB connection per dataset folder, kept open (`readConsistencyInterval: 0`: every read sees
 * the latest version); the table handle is reopened only after this module replaced or dropped it.
 */
const connections = new Map<string, { db: Promise<lancedb.Connection>; table: lancedb.Table | null }>();

function connectionOf(handle: DatasetHandle): { db: Promise<lancedb.Connection>; table: lancedb.Table | null } {
  let c = connections.get(handle.path);
  if (!c) {
    c = { db: connect(handle), table: null };
    c.db.catch(() => connections.delete(handle.path));
    connections.set(handle.path, c);
  }
  return c;
}

/** Forgets the cached table handle (after this module replaced or dropped the table). */
function forgetTable(handle: DatasetHandle): void {
  const c = connections.get(handle.path);
  if (c?.table) c.table.close();
  if (c) c.table = null;
}

/** Runs `fn` on the dataset's `embeddings` table (null when absent). */
async function withTable<T>(handle: DatasetHandle, fn: (table: lancedb.Table | null) => Promise<T>): Promise<T> {
  const c = connectionOf(handle);
  if (!c.table) {
    const db = await c.db;
    if (!(await db.tableNames()).includes(EMBEDDINGS_TABLE)) return fn(null);
    c.table = await db.openTable(EMBEDDINGS_TABLE);
  }
  try {
    return await fn(c.table);
  } catch (err) {
    // A table dropped or replaced by another process: reopened at the next call.
    forgetTable(handle);
    throw err;
  }
}

export interface EmbeddingRow {
  readonly recordId: string;
  readonly viewId: string;
  readonly vector: Float32Array;
}

/** Appends vectors (ids are fresh: Pixano's `shortuuid`-like, 22 characters). */
export async function addVectors(handle: DatasetHandle, rows: readonly EmbeddingRow[], dim: number): Promise<void> {
  if (rows.length === 0) return;
  const schema = arrowSchemaOf(tableSchemaFromManifest(null, EMBEDDINGS_TABLE, dim));
  const data = lancedb.makeArrowTable(
    rows.map((r) => ({
      id: randomId(),
      record_id: r.recordId,
      view_id: r.viewId,
      frame_id: "",
      vector: Array.from(r.vector),
      shape: [BigInt(dim)],
    })),
    { schema },
  );
  await withTable(handle, async (table) => {
    if (!table) throw new SearchError(503, "The embeddings table disappeared while the job ran.");
    await table.add(data);
  });
}

/** Replaces the table with an empty one of `dim` and writes the sidecar naming `model`. */
export async function createSpace(handle: DatasetHandle, model: string, dim: number): Promise<EmbeddingSpace> {
  forgetTable(handle);
  const db = await connectionOf(handle).db;
  const table = await db.createEmptyTable(
    EMBEDDINGS_TABLE,
    arrowSchemaOf(tableSchemaFromManifest(null, EMBEDDINGS_TABLE, dim)),
    { mode: "overwrite", storageOptions: { new_table_data_storage_version: LANCE_DATA_STORAGE_VERSION } },
  );
  table.close();
  const space: EmbeddingSpace = {
    table: EMBEDDINGS_TABLE,
    model_id: model,
    dim,
    metric: "cosine",
    source_view: "image",
    index_type: "IVF_PQ",
  };
  await writeFileAtomic(path.join(handle.path, SIDECAR), `${JSON.stringify(space, null, 4)}\n`);
  return space;
}

/** Drops the table and the sidecar (force recompute, model switch). */
export async function dropSpace(handle: DatasetHandle): Promise<void> {
  await unlink(path.join(handle.path, SIDECAR)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
  forgetTable(handle);
  const db = await connectionOf(handle).db;
  if ((await db.tableNames()).includes(EMBEDDINGS_TABLE)) await db.dropTable(EMBEDDINGS_TABLE);
}

/** Pixano's `record_embedding_health` (metadata only, no vector scan), plus how many records have a vector. */
export async function health(
  handle: DatasetHandle,
  options: { readonly countEmbeddedRecords?: boolean } = {},
): Promise<EmbeddingHealth> {
  const countEmbedded = options.countEmbeddedRecords ?? true;
  const records = await handle.count("records");
  const space = await readSpace(handle);
  const base = { model_id: null, dim: null, rows: 0, records, embeddedRecords: 0, detail: null };
  if (!space) return { ...base, status: "absent" };
  const named = { ...base, model_id: space.model_id, dim: space.dim };
  let read: { rows: number; storedDim: number | null; embeddedRecords: number } | null;
  try {
    read = await withTable(handle, async (table) => {
      if (!table) return null;
      const field = (await table.schema()).fields.find((f: { name: string }) => f.name === "vector");
      const type = field?.type as { listSize?: unknown } | undefined;
      const rows = await table.countRows();
      // The search only needs the states that refuse it: it skips the scan of every record id.
      const ids = countEmbedded
        ? ((await table.query().select(["record_id"]).toArray()) as Array<Record<string, unknown>>)
        : null;
      return {
        rows,
        storedDim: typeof type?.listSize === "number" ? type.listSize : null,
        embeddedRecords: ids ? new Set(ids.map((r) => String(r.record_id))).size : rows,
      };
    });
  } catch (err) {
    return { ...named, status: "corrupt", detail: `The embeddings table cannot be read: ${(err as Error).message}` };
  }
  if (!read) return { ...named, status: "missing_table", detail: "The embeddings table is missing." };
  const { rows, storedDim, embeddedRecords } = read;
  const counted = { ...named, rows, embeddedRecords };
  if (rows === 0) return { ...counted, status: "empty", detail: "The embeddings table has no vectors." };
  if (storedDim !== null && storedDim !== space.dim)
    return {
      ...counted,
      status: "dim_mismatch",
      detail: `Stored vectors have dim ${storedDim} but the descriptor says ${space.dim}.`,
    };
  if (embeddedRecords < records)
    return { ...counted, status: "partial", detail: `${embeddedRecords} of ${records} records embedded.` };
  return { ...counted, status: "ready" };
}

/** Views already embedded (a resumed job skips them). */
export async function embeddedViews(handle: DatasetHandle): Promise<Set<string>> {
  return withTable(handle, async (table) => {
    if (!table) return new Set<string>();
    const rows = (await table.query().select(["view_id"]).toArray()) as Array<Record<string, unknown>>;
    return new Set(rows.map((r) => String(r.view_id)));
  });
}

/** The stored vector of a record's first embedded view, or null. */
export async function recordVector(handle: DatasetHandle, recordId: string): Promise<Float32Array | null> {
  return withTable(handle, async (table) => {
    if (!table) return null;
    const rows = (await table
      .query()
      .where(`record_id = ${sqlString(recordId)}`)
      .select(["vector"])
      .limit(1)
      .toArray()) as Array<Record<string, unknown>>;
    const v = rows[0]?.vector as { toArray?: () => unknown } | undefined;
    if (!v || typeof v.toArray !== "function") return null;
    return Float32Array.from(v.toArray() as ArrayLike<number>);
  });
}

export interface Hit {
  readonly recordId: string;
  readonly distance: number;
}

/**
 * The `k` records whose closest view is nearest `query` (cosine distance, ascending). The vector
 * search widens until it holds `k` distinct records or has seen every vector.
 */
export async function nearest(
  handle: DatasetHandle,
  query: Float32Array,
  k: number,
  allowed: ReadonlySet<string> | null,
): Promise<Hit[]> {
  return withTable(handle, async (table) => {
    if (!table)
      throw new SearchError(503, "Record embeddings are unavailable (the table is missing). Recompute the embeddings.");
    return nearestIn(table, query, k, allowed);
  });
}

async function nearestIn(
  table: lancedb.Table,
  query: Float32Array,
  k: number,
  allowed: ReadonlySet<string> | null,
): Promise<Hit[]> {
  const total = await table.countRows();
  let limit = Math.min(total, Math.max(k * 4, 64));
  for (;;) {
    let search = table
      .vectorSearch(Array.from(query))
      .distanceType("cosine")
      .select(["record_id", "_distance"])
      .limit(limit);
    if (allowed) search = search.where(`record_id IN (${[...allowed].map(sqlString).join(", ")})`);
    const rows = (await search.toArray()) as Array<Record<string, unknown>>;
    const best = new Map<string, number>();
    for (const r of rows) {
      const id = String(r.record_id);
      const d = Number(r._distance);
      const prev = best.get(id);
      if (prev === undefined || d < prev) best.set(id, d);
    }
    if (best.size >= k || rows.length < limit || limit >= total) {
      return [...best.entries()]
        .map(([recordId, distance]) => ({ recordId, distance }))
        .sort((a, b) => a.distance - b.distance || (a.recordId < b.recordId ? -1 : 1))
        .slice(0, k);
    }
    limit = Math.min(total, limit * 4);
  }
}

/**
 * Indexes the table once it is big enough: a BTREE on `record_id` and an IVF vector index (IVF_PQ
 * when the dimension splits into 16-float sub-vectors, IVF_FLAT otherwise). Below
 * {@link INDEX_MIN_ROWS} nothing is built: the flat scan is exact and fast there.
 */
export async function indexIfLarge(handle: DatasetHandle): Promise<"indexed" | "flat"> {
  const dim = (await readSpace(handle))?.dim ?? 0;
  return withTable(handle, async (table) => {
    if (!table || (await table.countRows()) < INDEX_MIN_ROWS) return "flat";
    await table.createIndex("record_id", { config: lancedb.Index.btree(), replace: true });
    await table.createIndex("vector", {
      config:
        dim % 16 === 0
          ? lancedb.Index.ivfPq({ distanceType: "cosine", numSubVectors: dim / 16 })
          : lancedb.Index.ivfFlat({ distanceType: "cosine" }),
      replace: true,
    });
    return "indexed";
  });
}

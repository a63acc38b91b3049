import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { type DatasetInfo, type Row, type TableName, type TableSchema } from "@tessera/shared-crdt";
import { Dataset } from "../dataset.js";
import { Library, LIBRARY_DIR, STATE_DIR } from "../library.js";
import { ImportError, type SourceLocation } from "./errors.js";
import { openSource, type FormatOption } from "./detect.js";
import { shortUuid } from "./ids.js";
import type {
  ImportFormat,
  ImportWarning,
  InferredFieldReport,
  ReaderOptions,
  RecordBundle,
  SourceReader,
} from "./source.js";
import { checkImportRow } from "./pixanoRows.js";
import { batchSink } from "./batchWriter.js";
import { IdIndex } from "./idIndex.js";
import { markThumbnail, wantsThumbnail } from "./viewRows.js";

/**
 * The import engine behind `tessera data import` (Pixano spec §5.3 "Engine"): reads a source with
 * the reader of its format, validates every row against the target schema, and writes in batches.
 * `create`/`overwrite` build the whole dataset in `DATA_DIR/.tessera/staging/<job>` and rename it
 * into `library/<folder>` at the end, so a failure leaves the library untouched; `add` upserts
 * by id into the existing dataset (deterministic ids make re-runs idempotent).
 */
export type ImportMode = "create" | "overwrite" | "add";

export interface ImportOptions extends ReaderOptions {
  readonly dataDir: string;
  readonly source: string;
  readonly format?: FormatOption;
  readonly mode?: ImportMode;
  /** Analyse, build and validate every row; write nothing. */
  readonly dryRun?: boolean;
  /** Rows buffered before a flush (default {@link DEFAULT_BATCH_ROWS}; Pixano's is 1024). */
  readonly batchRows?: number;
  /** Bytes of media buffered before a flush (default {@link DEFAULT_BATCH_BYTES}; Pixano's is 256 MB). */
  readonly batchBytes?: number;
  readonly onProgress?: (p: ImportProgress) => void;
  /** Staging folder name (default: random). */
  readonly jobId?: string;
  /**
   * Called before `overwrite` replaces an existing dataset — once before any work and again right
   * before the swap — with that dataset; throwing (an `ImportError("target_in_use")`, say, when a
   * running server serves it) stops the import with the library untouched.
   */
  readonly beforeReplace?: (existing: { readonly path: string; readonly datasetId: string }) => Promise<void>;
}

export interface ImportProgress {
  readonly phase: "write" | "finalize";
  readonly records: number;
  readonly totalRecords: number;
}

export interface ImportReport {
  readonly format: ImportFormat;
  readonly mode: ImportMode;
  readonly dryRun: boolean;
  readonly datasetId: string;
  readonly name: string;
  readonly folder: string;
  /** Final dataset folder (even for a dry run: where it would go). */
  readonly path: string;
  readonly workspace: string;
  readonly storageMode: string;
  readonly splits: Record<string, number>;
  readonly records: number;
  /** Rows per table written (or that would be written). */
  readonly tables: Partial<Record<TableName, number>>;
  readonly inferred: readonly InferredFieldReport[];
  readonly warnings: readonly ImportWarning[];
}

/** Pixano's dataset folder name: `snake_case(name)`. */
export function snakeCase(name: string): string {
  const s = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return s === "" ? "dataset" : s.slice(0, 128);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/**
 * Checks rows against the target schema the way Pixano 0.8's importer does (see
 * {@link checkImportRow}), rejects duplicate ids, and buffers them per table.
 *
 * Duplicates: the current batch's ids are kept exactly (with where they are); earlier batches'
 * only as 64-bit hashes ({@link IdIndex}), so memory does not grow with the source. A row whose
 * id hashes like an earlier one is a suspect, confirmed by {@link RowBuffer.confirm} (the source
 * read again up to the batch) before anything else is done: a duplicate is refused with both
 * places, a hash collision lets the import go on.
 */
class RowBuffer {
  readonly counts: Partial<Record<TableName, number>> = {};
  private buffer = new Map<TableName, Row[]>();
  private buffered = 0;
  /** Embedded media bytes in the buffer (images make rows far from equal in size). */
  bytes = 0;
  private readonly seen = new Map<TableName, IdIndex>();
  /** This batch's ids, exactly, with where each is ("file:line"). */
  private batchIds = new Map<TableName, Map<string, string>>();
  /** Bundles pushed, and how many of them were in earlier batches. */
  private bundles = 0;
  private batchStart = 0;
  /** Rows whose id hashes like an id of an earlier batch. */
  private suspects: Array<{ table: TableName; id: string; where: SourceLocation }> = [];
  /** Entity references given by the source (parent_id, entity_ids), checked at the end. */
  private readonly refs: Array<{ table: TableName; id: string; where: SourceLocation }> = [];

  constructor(
    private readonly schemaOf: (t: TableName, where: SourceLocation) => TableSchema,
    private readonly now: () => Date,
  ) {}

  private checked(
    p: RecordBundle["rows"][number],
    bundle: RecordBundle,
  ): { row: Row; id: string; where: SourceLocation } {
    const where: SourceLocation = { ...bundle.location, ...(p.pointer !== undefined ? { pointer: p.pointer } : {}) };
    const row = checkImportRow(this.schemaOf(p.table, where), p.row, where, this.now);
    // Pixano's checks typed the row by the dataset's schema, which may override a base field: narrow what is used here.
    const id = row.id;
    if (typeof id !== "string") throw new ImportError("invalid_row", `${p.table}.id: must be a string`, where);
    return { row, id, where };
  }

  push(bundle: RecordBundle): void {
    this.bundles++;
    for (const p of bundle.rows) {
      const { row, id, where } = this.checked(p, bundle);
      if (wantsThumbnail(p.row)) markThumbnail(row);
      let batch = this.batchIds.get(p.table);
      if (!batch) this.batchIds.set(p.table, (batch = new Map()));
      const prev = batch.get(id);
      if (prev !== undefined)
        throw new ImportError("duplicate_id", `${p.table} id "${id}" is already used at ${prev}`, where);
      batch.set(id, located(where));
      let index = this.seen.get(p.table);
      if (!index) this.seen.set(p.table, (index = new IdIndex()));
      if (index.add(id)) this.suspects.push({ table: p.table, id, where });
      if (p.table === "entities" && typeof row.parent_id === "string" && row.parent_id)
        this.refs.push({ table: "entities", id: row.parent_id, where });
      if (p.table === "messages" && Array.isArray(row.entity_ids))
        for (const e of row.entity_ids) if (typeof e === "string") this.refs.push({ table: "entities", id: e, where });
      const list = this.buffer.get(p.table) ?? [];
      list.push(row);
      this.buffer.set(p.table, list);
      this.counts[p.table] = (this.counts[p.table] ?? 0) + 1;
      this.buffered++;
      for (const k in row) {
        const v = row[k];
        if (v instanceof Uint8Array) this.bytes += v.length;
      }
    }
  }

  /**
   * Settles the suspects: reads the source again over the earlier batches' bundles; an earlier
   * row with a suspect's id makes the import fail there (`duplicate_id`, both places), else the
   * suspect was a hash collision. Only runs when there is a suspect.
   */
  async confirm(reader: SourceReader): Promise<void> {
    if (this.suspects.length === 0) return;
    const wanted = new Map(this.suspects.map((s) => [`${s.table}\u0000${s.id}`, s]));
    const tables = new Set(this.suspects.map((s) => s.table));
    let n = 0;
    for await (const bundle of reader.bundles()) {
      if (n++ >= this.batchStart) break;
      for (const p of bundle.rows) {
        if (!tables.has(p.table)) continue;
        const { id, where } = this.checked(p, bundle);
        const s = wanted.get(`${p.table}\u0000${id}`);
        if (s)
          throw new ImportError(
            "duplicate_id",
            `${s.table} id "${s.id}" is already used at ${located(where)}`,
            s.where,
          );
      }
    }
    this.suspects = [];
  }

  get size(): number {
    return this.buffered;
  }

  take(): Map<TableName, Row[]> {
    const out = this.buffer;
    this.buffer = new Map();
    this.buffered = 0;
    this.bytes = 0;
    this.batchIds = new Map();
    this.batchStart = this.bundles;
    return out;
  }

  /**
   * References the import itself does not satisfy. An id is looked up by its 64-bit hash: a
   * missing reference whose hash equals an imported id's (odds ≈ 2^-64 per reference) would pass.
   */
  unresolved(): Array<{ table: TableName; id: string; where: SourceLocation }> {
    return this.refs.filter((r) => !this.seen.get(r.table)?.has(r.id));
  }
}

/** "file:line" (or "file") of a source location, as duplicate errors name the first place. */
function located(where: SourceLocation): string {
  return `${where.file}${where.line !== undefined ? `:${where.line}` : ""}`;
}

async function checkReferences(buffer: RowBuffer, existing?: Dataset): Promise<void> {
  const missing = buffer.unresolved();
  if (missing.length === 0) return;
  const found = existing
    ? new Set(
        (await existing.getMany("entities", [...new Set(missing.map((m) => m.id))], ["id"])).flatMap((r) =>
          typeof r.id === "string" ? [r.id] : [],
        ),
      )
    : new Set<string>();
  const first = missing.find((m) => !found.has(m.id));
  if (first) throw new ImportError("invalid_value", `entity "${first.id}" is referenced but not imported`, first.where);
}

function compatible(target: TableSchema, existing: TableSchema | undefined): string | null {
  if (!existing) return `the dataset has no ${target.table.name} table`;
  const have = new Map(existing.columns.map((c) => [c.name, JSON.stringify(c.type)]));
  for (const c of target.columns) {
    const t = have.get(c.name);
    if (t === undefined) return `${target.table.name}.${c.name} is not a column of the dataset`;
    if (t !== JSON.stringify(c.type)) return `${target.table.name}.${c.name} has another type in the dataset`;
  }
  return null;
}

/** Rows per batch: one LanceDB write per table per batch (Pixano 0.8 flushes every 1,024 rows). */
const DEFAULT_BATCH_ROWS = 32_768;
/** Embedded media bytes per batch (images make rows far from equal in size). */
const DEFAULT_BATCH_BYTES = 64 * 1024 * 1024;

async function writeAll(
  reader: SourceReader,
  buffer: RowBuffer,
  ds: Dataset | null,
  options: ImportOptions,
  add: boolean,
): Promise<number> {
  const total = [...reader.splits.values()].reduce((a, b) => a + b, 0);
  const batch = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  const sink = ds ? batchSink(ds, add) : null;
  let records = 0;
  try {
    for await (const bundle of reader.bundles()) {
      buffer.push(bundle);
      await buffer.confirm(reader);
      records++;
      if (buffer.size >= batch || buffer.bytes >= batchBytes) {
        // A dry run validates the rows and drops them: memory stays bounded either way.
        const rows = buffer.take();
        if (sink) await sink.write(rows);
      }
      options.onProgress?.({ phase: "write", records, totalRecords: total });
    }
    const rest = buffer.take();
    if (sink) {
      await sink.write(rest);
      await sink.drain();
    }
  } catch (err) {
    // Never leave a write running behind a failure: the caller removes the staging folder next.
    // The import fails with this first error; the running write's own outcome no longer matters.
    await sink?.abandon();
    throw err;
  }
  return records;
}

async function finalize(ds: Dataset, options: ImportOptions, total: number, records: number): Promise<void> {
  options.onProgress?.({ phase: "finalize", records, totalRecords: total });
  await ds.optimize();
  await ds.writeStats();
  await ds.preview();
}

/** The `info.json` id of the dataset folder at `folder` ("" when unreadable). */
async function datasetIdAt(folder: string): Promise<string> {
  try {
    const info = JSON.parse(await fs.readFile(path.join(folder, "info.json"), "utf8")) as { id?: unknown };
    return typeof info.id === "string" ? info.id : "";
  } catch (err) {
    // Only used to name the dataset in a refusal: an unreadable info.json leaves it unnamed.
    if (err instanceof SyntaxError || (err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}

/** Imports a source folder into `DATA_DIR/library`. See {@link ImportOptions}. */
export async function importDataset(options: ImportOptions): Promise<ImportReport> {
  const mode = options.mode ?? "create";
  const now = options.now ?? (() => new Date());
  const reader = await openSource(options.source, options.format ?? "auto", {
    ...options,
    ...(options.dryRun ? { skipPreviews: true } : {}),
  });
  const total = [...reader.splits.values()].reduce((a, b) => a + b, 0);
  if (total === 0) {
    // Pixano 0.8 (`empty_source`): a source that yields nothing is never a success — no 0-record
    // dataset is built, nothing is added, whatever the mode.
    throw new ImportError(
      "empty_source",
      `no records were found to import in ${[...reader.splits.keys()].map((s) => `${s}/`).join(", ") || "the source"}; nothing was imported`,
      { file: "." },
    );
  }
  const name = reader.target.info.name;
  const folder = snakeCase(name);
  const libraryDir = path.join(options.dataDir, LIBRARY_DIR);
  const finalPath = path.join(libraryDir, folder);
  const there = await exists(path.join(finalPath, "info.json"));
  if (mode === "create" && (there || (await exists(finalPath)))) {
    throw new ImportError(
      "target_exists",
      `dataset folder ${finalPath} already exists (use --mode overwrite or --mode add)`,
    );
  }
  const replacing = mode === "overwrite" && there && !options.dryRun ? options.beforeReplace : undefined;
  const existingId = replacing ? await datasetIdAt(finalPath) : "";
  if (replacing) await replacing({ path: finalPath, datasetId: existingId });
  const dsOptions = { now, optimizeAfterRows: Number.MAX_SAFE_INTEGER };
  let existing: Dataset | null = null;
  let info: DatasetInfo = { ...reader.target.info, id: shortUuid() };
  let schemaOf = (t: TableName, where: SourceLocation): TableSchema => {
    const s = reader.target.schema.tables.get(t);
    if (!s) throw new ImportError("schema_mismatch", `the target dataset has no ${t} table`, where);
    return s;
  };
  const report = (id: string, buffer: RowBuffer, dryRun: boolean): ImportReport => ({
    format: reader.format,
    mode,
    dryRun,
    datasetId: id,
    name,
    folder,
    path: finalPath,
    workspace: info.workspace,
    storageMode: info.storage_mode,
    splits: Object.fromEntries(reader.splits),
    records: total,
    tables: buffer.counts,
    inferred: reader.inferred,
    warnings: reader.warnings,
  });

  if (mode === "add" && there) {
    existing = await Dataset.open(finalPath, dsOptions);
    info = existing.info;
    for (const [t, s] of reader.target.schema.tables) {
      const problem = compatible(s, existing.schema.tables.get(t));
      if (problem) {
        existing.close();
        throw new ImportError("schema_mismatch", `--mode add: ${problem}; re-import with --mode overwrite`);
      }
    }
    const ex = existing;
    schemaOf = (t, where) => {
      const s = ex.schema.tables.get(t);
      if (!s) throw new ImportError("schema_mismatch", `the dataset has no ${t} table`, where);
      return s;
    };
  }

  const buffer = new RowBuffer(schemaOf, now);
  if (options.dryRun) {
    try {
      await writeAll(reader, buffer, null, options, false);
      await checkReferences(buffer, existing ?? undefined);
    } finally {
      existing?.close();
    }
    return report(existing?.id ?? info.id, buffer, true);
  }

  if (existing) {
    try {
      const records = await writeAll(reader, buffer, existing, options, true);
      await checkReferences(buffer, existing);
      await finalize(existing, options, total, records);
    } finally {
      existing.close();
    }
    return report(existing.id, buffer, false);
  }

  // create / overwrite (and add into a missing dataset): build in staging, then rename.
  const job = options.jobId ?? randomBytes(8).toString("hex");
  const stagingRoot = path.join(options.dataDir, STATE_DIR, "staging", job);
  const trash = path.join(options.dataDir, STATE_DIR, "trash", job);
  const staging = new Library(stagingRoot, dsOptions);
  let moved = false;
  try {
    const ds = await staging.create(folder, info);
    try {
      const records = await writeAll(reader, buffer, ds, options, false);
      await checkReferences(buffer);
      await finalize(ds, options, total, records);
    } finally {
      ds.close();
      await staging.close();
    }
    await fs.mkdir(libraryDir, { recursive: true });
    if (await exists(finalPath)) {
      if (mode === "create")
        throw new ImportError("target_exists", `dataset folder ${finalPath} appeared during the import`);
      if (options.beforeReplace && mode === "overwrite")
        await options.beforeReplace({ path: finalPath, datasetId: await datasetIdAt(finalPath) });
      await fs.mkdir(path.dirname(trash), { recursive: true });
      await fs.rename(finalPath, trash);
      moved = true;
    }
    await fs.rename(path.join(stagingRoot, LIBRARY_DIR, folder), finalPath);
  } catch (err) {
    if (moved && !(await exists(finalPath))) await fs.rename(trash, finalPath);
    throw err;
  } finally {
    await fs.rm(stagingRoot, { recursive: true, force: true });
    if (moved) await fs.rm(trash, { recursive: true, force: true });
  }
  return report(info.id, buffer, false);
}

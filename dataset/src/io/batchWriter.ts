import { availableParallelism } from "node:os";
import { TABLES, type Row, type TableName } from "@tessera/shared-crdt";
import type { Dataset } from "../dataset.js";
import { scan } from "../reader.js";
import { makeThumbnails } from "./viewRows.js";

/**
 * The write side of an import: large batches (tens of thousands of rows per LanceDB write, one
 * write per table per batch), one batch written while the next is being read and checked (at
 * most one write in flight, so memory stays at two batches whatever the source's size).
 *
 * Thumbnails of the batch's embedded images are made in that write stage too, several at once
 * (`makeThumbnails`), not one await per image while reading.
 *
 * Ids are never looked up per batch. A dataset the import creates holds only the import's own
 * rows, whose ids the importer already checked in memory: its rows are appended as they are. In
 * `add` mode the ids stored in each table are read once, when the table's first rows come: rows
 * with a stored id are upserted (merge by id, as before: re-running an import is idempotent),
 * the others appended.
 */
const TABLE_ORDER = Object.keys(TABLES) as TableName[];
/** Thumbnails made at once: one per core (libvips decodes on its own threads). */
const THUMBNAIL_CONCURRENCY = Math.max(2, availableParallelism());

export interface BatchSink {
  /** Queues a batch; resolves once the previous batch is written (the backpressure). */
  write(rows: Map<TableName, Row[]>): Promise<void>;
  /** Waits for the last write; rethrows a write's failure. */
  drain(): Promise<void>;
  /**
   * After the import failed elsewhere: waits for the running write to end and returns its
   * failure (undefined if it succeeded) instead of throwing it, the import's first error being
   * the one to report.
   */
  abandon(): Promise<unknown>;
  /** How many LanceDB writes and stored-id reads were issued (the tests check there is no read per batch). */
  readonly writes: { appends: number; merges: number; idReads: number };
}

type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

export function batchSink(ds: Dataset, add: boolean): BatchSink {
  const stored = new Map<TableName, ReadonlySet<string>>();
  const writes = { appends: 0, merges: 0, idReads: 0 };
  let inFlight: Promise<Outcome> | null = null;

  const storedIds = async (table: TableName): Promise<ReadonlySet<string>> => {
    let ids = stored.get(table);
    if (ids) return ids;
    const t = await ds.table(table);
    const found = new Set<string>();
    if (t) {
      writes.idReads++;
      const col = (await scan(t, null, ["id"])).getChild("id");
      if (col) for (const v of col) if (typeof v === "string") found.add(v);
    }
    stored.set(table, (ids = found));
    return ids;
  };

  const append = async (tables: Partial<Record<TableName, Row[]>>): Promise<void> => {
    const n = Object.values(tables).filter((l) => l.length > 0).length;
    if (n === 0) return;
    writes.appends += n;
    await ds.addRecords(tables, { keepTimestamps: true, skipForeignKeys: true, prevalidated: true, newIds: true });
  };

  const writeBatch = async (rows: Map<TableName, Row[]>): Promise<void> => {
    for (const t of ["images", "sequence_frames"] as const) {
      const list = rows.get(t);
      if (list) await makeThumbnails(list, THUMBNAIL_CONCURRENCY);
    }
    if (!add) return append(Object.fromEntries(rows));
    const fresh: Partial<Record<TableName, Row[]>> = {};
    const known: Array<[TableName, Row[]]> = [];
    for (const t of TABLE_ORDER) {
      const list = rows.get(t);
      if (!list || list.length === 0) continue;
      const ids = await storedIds(t);
      const again = list.filter((r) => typeof r.id === "string" && ids.has(r.id));
      if (again.length > 0) known.push([t, again]);
      fresh[t] = again.length === 0 ? list : list.filter((r) => !(typeof r.id === "string" && ids.has(r.id)));
    }
    await append(fresh);
    for (const [t, list] of known) {
      writes.merges++;
      await ds.upsert(t, list, { prevalidated: true });
    }
  };

  const settle = async (): Promise<void> => {
    const pending = inFlight;
    inFlight = null;
    if (!pending) return;
    const outcome = await pending;
    if (!outcome.ok) throw outcome.error;
  };

  return {
    writes,
    async write(rows) {
      await settle();
      // The outcome is kept (not thrown) until the next `write`/`drain` awaits it, so a failed
      // write is reported there and never left as an unhandled rejection meanwhile.
      inFlight = writeBatch(rows).then(
        (): Outcome => ({ ok: true }),
        (error: unknown): Outcome => ({ ok: false, error }),
      );
    },
    drain: settle,
    async abandon() {
      const pending = inFlight;
      inFlight = null;
      const outcome = pending ? await pending : null;
      return outcome && !outcome.ok ? outcome.error : undefined;
    },
  };
}

import * as Y from "yjs";
import {
  COMPONENT_TABLES,
  WRITE_ORDER,
  holdsLayoutOnly,
  PERSISTENCE_ORIGIN,
  rowsOfDoc,
  type ComponentTable,
  type RecordRows,
  type Row,
  type ValidationIssue,
} from "@tessera/shared-crdt";
import type { DatasetHandle } from "@tessera/dataset";
import { RecordStateError } from "./errors.js";
import { applyLogEntries, isoNow, logGap, newRecordDoc, type StateClock } from "./loadRecordDoc.js";
import { OwnCommits } from "./lanceVersions.js";
import { planPersist, type PersistPlan } from "./persistPlan.js";
import { readBatchRows } from "./readBatchRows.js";
import { withoutForeignRowsInBatch } from "./rowOwners.js";
import { rowsDigest } from "./rowsDigest.js";
import type { LogEntry, LogPosition, RecordKey, RecordLog, RecordSnapshot, SnapshotStore } from "./types.js";

/** One durable step of a persist, reported before it runs (tests crash the worker at step N). */
export interface PersistStep {
  /** 1-based, in order, per persist call (a batch is one call). */
  readonly index: number;
  readonly kind: "snapshot-pending" | "delete" | "upsert" | "record" | "snapshot";
  readonly table?: string;
  /** Rows this step writes (for the snapshot steps: snapshots). */
  readonly rows?: number;
  /** Records folded by this persist call. */
  readonly records: number;
}

export interface PersistResult {
  /** Every log entry up to here (inclusive) is in the snapshot and the rows: the caller may trim to it. */
  readonly upTo: LogPosition;
  /** Rows upserted, the record row included when it was written. */
  readonly rowsWritten: number;
  readonly rowsDeleted: number;
  readonly statusChanged: boolean;
  /** Document rows that failed validation and were not written (see `onRejected`). */
  readonly rowsRejected: number;
  /** The record no longer exists in the dataset: nothing was written and its snapshot was removed. */
  readonly recordGone?: boolean;
}

export type PersistOutcome =
  { readonly ok: true; readonly result: PersistResult } | { readonly ok: false; readonly error: unknown };

export interface PersistBatchOptions {
  readonly dataset: DatasetHandle;
  readonly log: RecordLog;
  readonly snapshots: SnapshotStore;
  readonly clock: StateClock;
  /** Records of `dataset`, each at most once. */
  readonly keys: readonly RecordKey[];
  readonly onStep?: (step: PersistStep) => void | Promise<void>;
  /** Rows left out of a record because they failed validation. */
  readonly onRejected: (key: RecordKey, issues: readonly ValidationIssue[]) => void;
}

/**
 * What each record's plan starts from (`planPersist`'s `from`) in a re-run of a failed batch: the
 * rows the first attempt planned from, kept in memory. The snapshot on disk may already carry the
 * pending mark, which would make the re-run plan from what LanceDB holds and so delete rows an
 * outside writer added to the record meanwhile; the first attempt's `from` does not hold them.
 */
type FromRows = ReadonlyMap<string, RecordRows>;

/** A record of the batch once its document is merged and its plan made. */
interface Folded {
  readonly key: RecordKey;
  readonly snapshot: RecordSnapshot;
  readonly upTo: LogPosition;
  readonly final: Omit<RecordSnapshot, "savedAt" | "lance">;
  readonly plan: PersistPlan;
  /**
   * The rows LanceDB held when the batch read them were the snapshot's (or already the document's)
   * and the plan writes all of the document: after the batch the rows match `final.rowsDigest` at
   * the versions read before that read plus the batch's own commits, which the final snapshot keeps.
   */
  readonly vouched: boolean;
}

/**
 * Folds the logs of several records of one dataset into their rows and snapshots in one pass
 * (docs/ARCHITECTURE.md §3 "Durability" 2): per record, snapshot + log merged in a `Y.Doc` and
 * planned as a single record would be (`planPersist`); for the batch, one read per table of what
 * LanceDB holds (`readBatchRows`), one owner lookup per table for new ids, then one write per table:
 * deletes (dependents first), upserts (entities first), all record rows, each a single LanceDB
 * commit. Every record gets its own outcome: one whose snapshot, log or plan fails fails alone.
 *
 * Crash safety, as for one record: before the first LanceDB write, every writing record's new
 * snapshot is saved marked `rowsPending`; after the last, saved again without the mark. Killed
 * after any step, a re-run plans each record from what LanceDB holds (the document wins) and writes
 * what is missing; a load meanwhile does not mistake the half-written rows for an outside edit.
 *
 * No read-back of the written rows: each upsert is one merge-insert whose own result counts
 * (inserted + updated) must equal the rows sent — `Dataset.upsert` throws otherwise — so a row the
 * merge skipped or lost is an error before the snapshots lose their mark, and the re-run writes it.
 * A commit that returned is durable in Lance (the manifest is written last), so reading the rows
 * again would only re-prove what the commit did.
 *
 * A write that fails (disk, a row LanceDB refuses) fails the batch's commit, not its records: each
 * is then folded again on its own, so only the record at fault fails.
 */
export function persistBatch(options: PersistBatchOptions): Promise<Map<string, PersistOutcome>> {
  return foldBatch(options, new Map());
}

async function foldBatch(options: PersistBatchOptions, fromRows: FromRows): Promise<Map<string, PersistOutcome>> {
  const outcomes = new Map<string, PersistOutcome>();
  const fail = (key: RecordKey, error: unknown) => outcomes.set(key.recordId, { ok: false, error });
  const done = (key: RecordKey, result: PersistResult) => outcomes.set(key.recordId, { ok: true, result });

  const merged = await Promise.all(
    options.keys.map(async (key) => {
      try {
        return await mergeRecord(options, key);
      } catch (error) {
        fail(key, error);
        return null;
      }
    }),
  );
  const live = merged.filter((m) => m !== null);
  if (live.length === 0) return outcomes;

  let current: Map<string, RecordRows>;
  let versionsBefore: ReadonlyMap<string, number>;
  try {
    // Before the read: a commit landing between the two is a version the snapshot does not vouch for.
    versionsBefore = await options.dataset.tableVersions();
    current = await readBatchRows(
      options.dataset,
      live.map((m) => m.key.recordId),
    );
  } catch (error) {
    if (live.length === 1) fail(live[0]!.key, error);
    else
      await oneByOne(
        options,
        live.map((m) => m.key),
        fromRows,
        outcomes,
      );
    return outcomes;
  }

  const planned: Array<{ m: MergedRecord; current: RecordRows; from: RecordRows; plan: PersistPlan; same: boolean }> =
    [];
  for (const m of live) {
    const rows = current.get(m.key.recordId);
    if (!rows) {
      // The record was deleted (REST or Pixano): a delete wins over concurrent edits, so there is
      // nothing to write; its snapshot goes too, so a record re-created with this id starts afresh.
      try {
        await options.snapshots.delete(m.key);
        done(m.key, {
          upTo: m.upTo,
          rowsWritten: 0,
          rowsDeleted: 0,
          statusChanged: false,
          rowsRejected: 0,
          recordGone: true,
        });
      } catch (error) {
        fail(m.key, error);
      }
      continue;
    }
    try {
      const now = () => new Date(options.clock.now());
      const from = fromRows.get(m.key.recordId) ?? (m.snapshot.rowsPending ? rows : m.base);
      const plan = planPersist({
        schema: options.dataset.schema,
        recordId: m.key.recordId,
        from,
        ours: m.ours,
        current: rows,
        now,
      });
      // Did LanceDB hold what the plan starts from? (Not when someone wrote the record meanwhile.)
      const same = from === rows || rowsDigest(rows) === m.snapshot.rowsDigest;
      planned.push({ m, current: rows, from, plan, same });
    } catch (error) {
      fail(m.key, error);
    }
  }

  let plans: PersistPlan[];
  try {
    plans = await withoutForeignRowsInBatch(
      options.dataset,
      planned.map(({ m, plan, current }) => ({ recordId: m.key.recordId, plan, current })),
    );
  } catch (error) {
    if (planned.length === 1) fail(planned[0]!.m.key, error);
    else if (planned.length > 1)
      await oneByOne(
        options,
        planned.map((p) => p.m.key),
        fromOf(planned),
        outcomes,
      );
    return outcomes;
  }

  const folded: Folded[] = planned.map(({ m, same }, i) => {
    const plan = plans[i]!;
    if (plan.rejected.length > 0) options.onRejected(m.key, plan.rejected);
    return {
      key: m.key,
      snapshot: m.snapshot,
      upTo: m.upTo,
      final: { state: m.state, foldedUpTo: m.upTo, rowsDigest: m.digest, rowsPending: false, layoutOnly: m.layoutOnly },
      plan,
      vouched: same && plan.rejected.length === 0,
    };
  });
  if (folded.length === 0) return outcomes;

  try {
    const results = await writeBatch(options, folded, versionsBefore);
    for (const f of folded) done(f.key, results.get(f.key.recordId)!);
  } catch (error) {
    if (folded.length === 1) fail(folded[0]!.key, error);
    else
      await oneByOne(
        options,
        folded.map((f) => f.key),
        fromOf(planned),
        outcomes,
      );
  }
  return outcomes;
}

/**
 * After a batch-level failure: each record folded on its own, from what the batch planned from
 * (idempotent: what the batch already wrote satisfies the plan and is not written again).
 */
async function oneByOne(
  options: PersistBatchOptions,
  keys: readonly RecordKey[],
  fromRows: FromRows,
  outcomes: Map<string, PersistOutcome>,
): Promise<void> {
  for (const key of keys) {
    const alone = await foldBatch({ ...options, keys: [key] }, fromRows);
    const outcome = alone.get(key.recordId);
    outcomes.set(key.recordId, outcome ?? { ok: false, error: new Error("no outcome") });
  }
}

function fromOf(planned: ReadonlyArray<{ m: MergedRecord; from: RecordRows }>): FromRows {
  return new Map(planned.map((p) => [p.m.key.recordId, p.from]));
}

interface MergedRecord {
  readonly key: RecordKey;
  readonly snapshot: RecordSnapshot;
  readonly upTo: LogPosition;
  /** The snapshot's rows (what LanceDB is believed to hold). */
  readonly base: RecordRows;
  /** The document's rows after the log. */
  readonly ours: RecordRows;
  readonly state: Uint8Array;
  readonly digest: string;
  readonly layoutOnly: boolean;
}

async function mergeRecord(options: PersistBatchOptions, key: RecordKey): Promise<MergedRecord> {
  const { snapshot, entries } = await snapshotAndLog(options, key);
  const doc = newRecordDoc(key);
  try {
    Y.applyUpdate(doc, snapshot.state, PERSISTENCE_ORIGIN);
    const base = rowsOfDoc(doc);
    applyLogEntries(doc, entries);
    const ours = rowsOfDoc(doc);
    return {
      key,
      snapshot,
      upTo: Math.max(snapshot.foldedUpTo, entries.at(-1)?.pos ?? 0),
      base,
      ours,
      state: Y.encodeStateAsUpdate(doc),
      digest: rowsDigest(ours),
      layoutOnly: holdsLayoutOnly(doc),
    };
  } finally {
    doc.destroy();
  }
}

/** The snapshot and the log after it, read again if a trim past the snapshot slipped in between. */
async function snapshotAndLog(
  options: PersistBatchOptions,
  key: RecordKey,
): Promise<{ snapshot: RecordSnapshot; entries: LogEntry[] }> {
  const { log, snapshots } = options;
  for (let attempt = 1; ; attempt++) {
    const snapshot = await snapshots.load(key);
    if (!snapshot) {
      throw new RecordStateError(
        "no_snapshot",
        `${key.datasetId}/${key.recordId} has no snapshot: the server creates one when it first loads the record`,
      );
    }
    const entries = await log.read(key);
    if (!logGap(snapshot, entries) || attempt >= 3) return { snapshot, entries };
  }
}

function writes(plan: PersistPlan): boolean {
  return plan.tables.size > 0 || plan.record !== null;
}

/** The durable steps of a batch; resolves with each record's result. */
async function writeBatch(
  options: PersistBatchOptions,
  folded: readonly Folded[],
  versionsBefore: ReadonlyMap<string, number>,
): Promise<Map<string, PersistResult>> {
  const { dataset, snapshots, clock } = options;
  const own = new OwnCommits();
  let index = 0;
  const step = async (kind: PersistStep["kind"], table: string | undefined, rows: number) => {
    index++;
    if (options.onStep)
      await options.onStep({ index, kind, ...(table === undefined ? {} : { table }), rows, records: folded.length });
  };
  const writing = folded.filter((f) => writes(f.plan));
  // Records with nothing to write only save their snapshot when something in it moved.
  const quiet = folded.filter(
    (f) =>
      !writes(f.plan) &&
      !(f.upTo === f.snapshot.foldedUpTo && !f.snapshot.rowsPending && f.final.rowsDigest === f.snapshot.rowsDigest),
  );

  if (writing.length > 0) {
    await step("snapshot-pending", undefined, writing.length);
    const savedAt = isoNow(clock);
    await Promise.all(writing.map((f) => snapshots.save(f.key, { ...f.final, rowsPending: true, savedAt })));
    for (const t of [...WRITE_ORDER].reverse()) {
      const ids = writing.flatMap((f) => f.plan.tables.get(t)?.deletes ?? []);
      if (ids.length === 0) continue;
      await step("delete", t, ids.length);
      // Each document's deletes are closed under D-CASCADE (D-REF holds in it): exact deletes, no scans.
      await dataset.deleteExact(t, ids, own.listener);
    }
    for (const t of WRITE_ORDER) {
      const rows = writing.flatMap((f) => f.plan.tables.get(t)?.upserts ?? []);
      if (rows.length === 0) continue;
      await step("upsert", t, rows.length);
      await dataset.upsert(t, rows, { sameRecordOnly: true, lenientToStored: true, onCommit: own.listener });
    }
    const records = writing.flatMap((f): Row[] => (f.plan.record ? [f.plan.record] : []));
    if (records.length > 0) {
      await step("record", "records", records.length);
      await dataset.upsert("records", records, { onCommit: own.listener });
    }
  }
  const finals = [...writing, ...quiet];
  if (finals.length > 0) {
    await step("snapshot", undefined, finals.length);
    const savedAt = isoNow(clock);
    const lance = own.on(versionsBefore);
    await Promise.all(
      finals.map((f) => snapshots.save(f.key, { ...f.final, savedAt, ...(f.vouched ? { lance } : {}) })),
    );
  }

  const results = new Map<string, PersistResult>();
  for (const f of folded) {
    const p = f.plan;
    const count = (pick: (t: ComponentTable) => number) => COMPONENT_TABLES.reduce((n, t) => n + pick(t), 0);
    results.set(f.key.recordId, {
      upTo: f.upTo,
      rowsWritten: count((t) => p.tables.get(t)?.upserts.length ?? 0) + (p.record && p.recordFieldsChanged ? 1 : 0),
      rowsDeleted: count((t) => p.tables.get(t)?.deletes.length ?? 0),
      statusChanged: p.statusChanged,
      rowsRejected: p.rejected.length,
    });
  }
  return results;
}

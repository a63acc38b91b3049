import * as Y from "yjs";
import {
  COMPONENT_TABLES,
  PERSISTENCE_ORIGIN,
  rowsOfDoc,
  type RecordRows,
  type ValidationIssue,
} from "@tessera/shared-crdt";
import { RecordStateError } from "./errors.js";
import { applyLogEntries, isoNow, logGap, newRecordDoc, type LoadRecordOptions } from "./loadRecordDoc.js";
import { planPersist, type PersistPlan } from "./persistPlan.js";
import { readRecordRows } from "./readRecordRows.js";
import { withoutForeignRows } from "./rowOwners.js";
import { rowsDigest } from "./rowsDigest.js";
import type { LogEntry, LogPosition, RecordSnapshot } from "./types.js";

/** One durable step of a persist, reported before it runs (tests crash the worker at step N). */
export interface PersistStep {
  /** 1-based, in order, per persist call. */
  readonly index: number;
  readonly kind: "snapshot-pending" | "delete" | "upsert" | "record" | "snapshot";
  readonly table?: string;
  readonly rows?: number;
}

export interface PersistOptions extends LoadRecordOptions {
  readonly onStep?: (step: PersistStep) => void | Promise<void>;
  /** Rows left out because they failed validation (default `console.warn`). */
  readonly onRejected?: (issues: readonly ValidationIssue[]) => void;
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

/**
 * Folds a record's log into its rows and snapshot (docs/ARCHITECTURE.md §3 "Durability" 2). Only reads the
 * log: the caller (the server, owner of the log) trims it to `upTo` after this resolves.
 *
 * Steps: snapshot + every log entry merged in one `Y.Doc`; the plan against LanceDB (see
 * `planPersist`); when there is something to write, the merged snapshot is saved first marked
 * `rowsPending`, then deletes (one call per table, dependents first), upserts (one call per table,
 * entities first), the record row (status, comment, custom fields; `updated_at` bumped,
 * `created_at` kept), and the snapshot again without the mark. Deletes are exact (the document
 * already holds the cascade, SPEC D-CASCADE), so a fold runs no cascade scans and no repair rounds.
 *
 * Crash-safe and idempotent: killed after any step, a re-run plans from the same snapshot (or,
 * after the pending mark, from what LanceDB holds) and writes what is missing; rows end equal to
 * the document. A run with nothing new writes nothing.
 */
export async function persistRecord(options: PersistOptions): Promise<PersistResult> {
  const { dataset, snapshots, key, clock } = options;
  const { snapshot, entries } = await snapshotAndLog(options);
  const doc = newRecordDoc(key);
  try {
    Y.applyUpdate(doc, snapshot.state, PERSISTENCE_ORIGIN);
    const base = rowsOfDoc(doc);
    applyLogEntries(doc, entries);
    const upTo = Math.max(snapshot.foldedUpTo, entries.at(-1)?.pos ?? 0);
    const ours = rowsOfDoc(doc);
    const current = await readRecordRowsOrNull(dataset, key.recordId);
    if (!current) {
      // The record was deleted (REST or Pixano): a delete wins over concurrent edits, so there is
      // nothing to write; its snapshot goes too, so a record re-created with this id starts afresh.
      await snapshots.delete(key);
      return { upTo, rowsWritten: 0, rowsDeleted: 0, statusChanged: false, rowsRejected: 0, recordGone: true };
    }
    const now = () => new Date(clock.now());
    const planned = planPersist({
      schema: dataset.schema,
      recordId: key.recordId,
      from: snapshot.rowsPending ? current : base,
      ours,
      current,
      now,
    });
    const plan = await withoutForeignRows(dataset, key.recordId, planned, current);
    if (plan.rejected.length > 0) (options.onRejected ?? warnRejected(key))(plan.rejected);

    const state = Y.encodeStateAsUpdate(doc);
    const digest = rowsDigest(ours);
    const finalSnapshot = { state, foldedUpTo: upTo, rowsDigest: digest, rowsPending: false };
    let index = 0;
    const step = async (kind: PersistStep["kind"], table?: string, rows?: number) => {
      index++;
      if (options.onStep)
        await options.onStep({
          index,
          kind,
          ...(table === undefined ? {} : { table }),
          ...(rows === undefined ? {} : { rows }),
        });
    };

    if (plan.tables.size === 0 && !plan.record) {
      const unchanged = upTo === snapshot.foldedUpTo && !snapshot.rowsPending && digest === snapshot.rowsDigest;
      if (!unchanged) {
        await step("snapshot");
        await snapshots.save(key, { ...finalSnapshot, savedAt: isoNow(clock) });
      }
      return { upTo, rowsWritten: 0, rowsDeleted: 0, statusChanged: false, rowsRejected: plan.rejected.length };
    }

    await step("snapshot-pending");
    await snapshots.save(key, { ...finalSnapshot, rowsPending: true, savedAt: isoNow(clock) });
    const counts = await writePlan(options, plan, step);
    await step("snapshot");
    await snapshots.save(key, { ...finalSnapshot, savedAt: isoNow(clock) });
    return { upTo, ...counts, statusChanged: plan.statusChanged, rowsRejected: plan.rejected.length };
  } finally {
    doc.destroy();
  }
}

/** The snapshot and the log after it, read again if a trim past the snapshot slipped in between. */
async function snapshotAndLog(options: PersistOptions): Promise<{ snapshot: RecordSnapshot; entries: LogEntry[] }> {
  const { log, snapshots, key } = options;
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

type StepFn = (kind: PersistStep["kind"], table?: string, rows?: number) => Promise<void>;

async function writePlan(
  options: PersistOptions,
  plan: PersistPlan,
  step: StepFn,
): Promise<{ rowsWritten: number; rowsDeleted: number }> {
  const { dataset } = options;
  let rowsWritten = 0;
  let rowsDeleted = 0;
  for (const t of [...COMPONENT_TABLES].reverse()) {
    const p = plan.tables.get(t);
    if (!p || p.deletes.length === 0) continue;
    await step("delete", t, p.deletes.length);
    // The document's deletes are closed under D-CASCADE (D-REF holds in it): exact deletes, no scans.
    await dataset.deleteExact(t, p.deletes);
    rowsDeleted += p.deletes.length;
  }
  for (const t of COMPONENT_TABLES) {
    const p = plan.tables.get(t);
    if (!p || p.upserts.length === 0) continue;
    await step("upsert", t, p.upserts.length);
    await dataset.upsert(t, p.upserts, { sameRecordOnly: true, lenientToStored: true });
    rowsWritten += p.upserts.length;
  }
  if (plan.record) {
    await step("record", "records", 1);
    await dataset.upsert("records", [plan.record]);
    if (plan.recordFieldsChanged) rowsWritten++;
  }
  return { rowsWritten, rowsDeleted };
}

async function readRecordRowsOrNull(dataset: PersistOptions["dataset"], recordId: string): Promise<RecordRows | null> {
  try {
    return await readRecordRows(dataset, recordId);
  } catch (err) {
    if (err instanceof RecordStateError && err.reason === "record_not_found") return null;
    throw err;
  }
}

function warnRejected(key: { datasetId: string; recordId: string }) {
  return (issues: readonly ValidationIssue[]) => {
    // Left out rather than failing the whole persist; the next load drops them from the document.
    console.warn(
      `[persist] ${key.datasetId}/${key.recordId}: ${issues.length} invalid row field(s) not written: ${issues
        .slice(0, 5)
        .map((i) => `${i.path}: ${i.message}`)
        .join("; ")}`,
    );
  };
}

import type { ValidationIssue } from "@tessera/shared-crdt";
import type { LoadRecordOptions } from "./loadRecordDoc.js";
import { persistBatch, type PersistResult, type PersistStep } from "./persistBatch.js";

export interface PersistOptions extends LoadRecordOptions {
  readonly onStep?: (step: PersistStep) => void | Promise<void>;
  /** Rows left out because they failed validation (default `console.warn`). */
  readonly onRejected?: (issues: readonly ValidationIssue[]) => void;
}

/**
 * Folds one record's log into its rows and snapshot (docs/ARCHITECTURE.md §3 "Durability" 2): a
 * batch of one (`persistBatch`). Only reads the log: the caller (the server, owner of the log)
 * trims it to `upTo` after this resolves.
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
  const { key } = options;
  const outcomes = await persistBatch({
    dataset: options.dataset,
    log: options.log,
    snapshots: options.snapshots,
    clock: options.clock,
    keys: [key],
    ...(options.onStep ? { onStep: options.onStep } : {}),
    onRejected: (_key, issues) => (options.onRejected ?? warnRejected(key))(issues),
  });
  const outcome = outcomes.get(key.recordId);
  if (!outcome) throw new Error(`persist of ${key.datasetId}/${key.recordId} produced no outcome`);
  if (!outcome.ok) throw outcome.error;
  return outcome.result;
}

/** Left out rather than failing the whole persist; the next load drops them from the document. */
export function warnRejected(key: { datasetId: string; recordId: string }) {
  return (issues: readonly ValidationIssue[]) => {
    console.warn(
      `[persist] ${key.datasetId}/${key.recordId}: ${issues.length} invalid row field(s) not written: ${issues
        .slice(0, 5)
        .map((i) => `${i.path}: ${i.message}`)
        .join("; ")}`,
    );
  };
}

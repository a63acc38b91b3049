import * as Y from "yjs";
import {
  applyRowsToDoc,
  holdsLayoutOnly,
  PERSISTENCE_ORIGIN,
  recordDocGuid,
  removeDependents,
  rowsOfDoc,
  serverOrigin,
  transact,
  type ComponentTable,
  type RecordRows,
} from "@tessera/shared-crdt";
import type { DatasetHandle } from "@tessera/dataset";
import { rowsUnmovedSince, versionsAt } from "./lanceVersions.js";
import { mergeExternalRows } from "./mergeExternalRows.js";
import { readRecordRowsBatched } from "./batchedRecordRows.js";
import { rowsDigest } from "./rowsDigest.js";
import type { LogEntry, LogPosition, RecordKey, RecordLog, RecordSnapshot, SnapshotStore } from "./types.js";

/** Time as the state layer needs it (a subset of the server's `Clock`). */
export interface StateClock {
  now(): number;
}

export interface LoadRecordOptions {
  readonly dataset: DatasetHandle;
  readonly log: RecordLog;
  readonly snapshots: SnapshotStore;
  readonly key: RecordKey;
  readonly clock: StateClock;
  /**
   * Called as soon as the document's whole state is known to be the stored snapshot's bytes (no log
   * entry on top, table versions unmoved), and those bytes hold nothing live outside the record
   * layout (the snapshot's `layoutOnly`) — before they are decoded into the `Y.Doc`, the
   * long part of a load — so waiting joiners can be answered from them at once. For a record with
   * no snapshot yet: as soon as its document is built from the rows, before its first snapshot is
   * saved (the load resolves only after that save is durable, so no edit reaches the document
   * before then).
   */
  readonly onFullState?: (state: Uint8Array) => void;
}

export interface LoadedRecord {
  /** The record document (guid `datasetId/recordId`, gc on). Attach update handlers after this resolves. */
  readonly doc: Y.Doc;
  /** The snapshot's `foldedUpTo` (0 for a record built from rows). */
  readonly foldedUpTo: LogPosition;
  /** The last position in the log after loading, including the external-change entry if one was appended. */
  readonly logHead: LogPosition;
  /** Log entries applied on top of the snapshot (a crash or an unflushed unload left them): flush soon. */
  readonly replayed: number;
  /**
   * Rows had changed behind our back: the difference was merged as one `server("external")`
   * transaction and that update was appended to the log (durable) before returning.
   */
  readonly externalChanges: boolean;
  /** No snapshot existed: the document was built from the rows and its first snapshot saved. */
  readonly created: boolean;
  /**
   * The record's rows were read from LanceDB to look for outside writes (false when the tables'
   * versions showed that no one but our own folds wrote since the snapshot).
   */
  readonly rowsRead: boolean;
  /**
   * `Y.encodeStateAsUpdate(doc)` without encoding it: the snapshot's bytes, when nothing was
   * applied on top of them (no log entry, no outside change). Null otherwise.
   */
  readonly fullState: Uint8Array | null;
}

/** How many times a load starts over when a persist rewrote the snapshot (and trimmed) while it read. */
const LOAD_ATTEMPTS = 3;

export function newRecordDoc(key: RecordKey): Y.Doc {
  return new Y.Doc({ guid: recordDocGuid(key.datasetId, key.recordId), gc: true });
}

/** A new record document holding `rows`, written as one `server("load")` transaction (a record with no snapshot). */
export function recordDocFromRows(key: RecordKey, rows: RecordRows): Y.Doc {
  const doc = newRecordDoc(key);
  transact(doc, serverOrigin("load"), () => applyRowsToDoc(doc, rows));
  return doc;
}

/**
 * Applies log entries to a document in one transaction with the persistence origin (merging in the
 * `Y.Doc`, not with `Y.mergeUpdates` over many tiny updates). Every entry is applied, including
 * ones at or below the snapshot's `foldedUpTo` still waiting for their trim: Yjs updates are
 * idempotent, and this keeps a load correct even if positions were reused after a power loss.
 */
export function applyLogEntries(doc: Y.Doc, entries: readonly LogEntry[]): void {
  if (entries.length === 0) return;
  doc.transact(() => {
    for (const e of entries) Y.applyUpdate(doc, e.update, PERSISTENCE_ORIGIN);
  }, PERSISTENCE_ORIGIN);
}

/**
 * The log starts after the snapshot's end: someone trimmed past it, i.e. a newer snapshot was
 * saved after ours was read (the entries in between are only in that newer snapshot).
 */
export function logGap(snapshot: RecordSnapshot, entries: readonly LogEntry[]): boolean {
  const first = entries[0];
  return first !== undefined && first.pos > snapshot.foldedUpTo + 1;
}

export function isoNow(clock: StateClock): string {
  return new Date(clock.now()).toISOString();
}

function sameSnapshot(a: RecordSnapshot | null, b: RecordSnapshot | null): boolean {
  if (!a || !b) return a === b;
  return (
    a.savedAt === b.savedAt &&
    a.foldedUpTo === b.foldedUpTo &&
    a.rowsDigest === b.rowsDigest &&
    a.rowsPending === b.rowsPending &&
    a.state.length === b.state.length
  );
}

/**
 * Loads a record document for the server, which owns the record's log (docs/ARCHITECTURE.md §3
 * "Durability" 3):
 * - with a snapshot: the snapshot plus every log entry, applied in one transaction. The record's
 *   rows are read only when LanceDB's table versions moved since the snapshot by a commit that is
 *   not the saving fold's own (`lanceVersions.ts`); if the rows read no longer match the
 *   snapshot's digest (and no persist was half-way), the change is
 *   merged three-way into the document as a `server("external")` transaction whose update is
 *   appended to the log, so clients, the persist worker and later loads all build on the same
 *   Yjs structs;
 * - without one: the document is built from the rows (`server("load")`) and its snapshot saved
 *   at once, so every later log entry applies on top of these same structs (a second build from
 *   rows would get other client ids and the log would not apply).
 * The persist worker never calls this (it must not write the log): it uses `persistRecord`.
 */
export async function loadRecordDoc(options: LoadRecordOptions): Promise<LoadedRecord> {
  const { dataset, log, snapshots, key } = options;
  for (let attempt = 1; ; attempt++) {
    const snapshot = await snapshots.load(key);
    if (!snapshot) return createFromRows(options);
    const current = await rowsIfMoved(dataset, key.recordId, snapshot);
    if (current === null) {
      // Nobody wrote the rows since the snapshot: the snapshot plus the log is the document. The log
      // is read before decoding, so that with no entries the snapshot's bytes are known to be the
      // whole state while the decoding is still ahead.
      const entries = await log.read(key);
      if (logGap(snapshot, entries) && attempt < LOAD_ATTEMPTS) continue;
      if (entries.length === 0 && snapshot.layoutOnly === true && options.onFullState) {
        options.onFullState(snapshot.state);
        // One turn of the event loop: the answer is written out before the decoding holds the thread.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const doc = newRecordDoc(key);
      Y.applyUpdate(doc, snapshot.state, PERSISTENCE_ORIGIN);
      applyLogEntries(doc, entries);
      return {
        doc,
        foldedUpTo: snapshot.foldedUpTo,
        logHead: Math.max(snapshot.foldedUpTo, entries.at(-1)?.pos ?? 0),
        replayed: entries.length,
        externalChanges: false,
        created: false,
        rowsRead: false,
        fullState: entries.length === 0 ? snapshot.state : null,
      };
    }
    const doc = newRecordDoc(key);
    Y.applyUpdate(doc, snapshot.state, PERSISTENCE_ORIGIN);
    const drifted = current !== null && !snapshot.rowsPending && rowsDigest(current) !== snapshot.rowsDigest;
    if (drifted && attempt < LOAD_ATTEMPTS && !sameSnapshot(snapshot, await snapshots.load(key))) {
      // A persist saved a snapshot while we read the rows: the "drift" may be its own write.
      doc.destroy();
      continue;
    }
    const base = drifted ? rowsOfDoc(doc) : null;
    const entries = await log.read(key);
    if (logGap(snapshot, entries) && attempt < LOAD_ATTEMPTS) {
      // A flush saved a newer snapshot and trimmed the log after we read ours: start over.
      doc.destroy();
      continue;
    }
    applyLogEntries(doc, entries);
    let logHead = Math.max(snapshot.foldedUpTo, entries.at(-1)?.pos ?? 0);
    let externalChanges = false;
    if (base && current) {
      const update = mergeExternal(doc, base, current);
      if (update) {
        logHead = await log.append(key, update);
        externalChanges = true;
      }
    }
    return {
      doc,
      foldedUpTo: snapshot.foldedUpTo,
      logHead,
      replayed: entries.length,
      externalChanges,
      created: false,
      rowsRead: current !== null,
      fullState: entries.length === 0 && !externalChanges ? snapshot.state : null,
    };
  }
}

/**
 * The record's rows, or null when they cannot differ from the snapshot's: its table versions say
 * that only the commits of the fold that saved it happened since (`rowsUnmovedSince`). A snapshot
 * marked `rowsPending` vouches for nothing and always reads.
 */
async function rowsIfMoved(dataset: DatasetHandle, recordId: string, snapshot: RecordSnapshot) {
  if (snapshot.lance && !snapshot.rowsPending && rowsUnmovedSince(snapshot.lance, await dataset.tableVersions()))
    return null;
  return readRecordRowsBatched(dataset, recordId);
}

/** Merges rows changed behind our back into `doc`; returns the transaction's update (null if nothing changed). */
function mergeExternal(
  doc: Y.Doc,
  base: ReturnType<typeof rowsOfDoc>,
  current: ReturnType<typeof rowsOfDoc>,
): Uint8Array | null {
  const merged = mergeExternalRows(base, current, rowsOfDoc(doc));
  let update: Uint8Array | null = null;
  const capture = (u: Uint8Array) => {
    update = u;
  };
  doc.on("update", capture);
  try {
    transact(doc, serverOrigin("external"), () => {
      applyRowsToDoc(doc, merged.rows);
      // Their delete of an entity (say) took its annotations in LanceDB; annotations we added to it
      // since then must go too, or they would dangle.
      if (merged.deleted.size > 0) removeDependents(doc, merged.deleted as Map<ComponentTable, Set<string>>);
    });
  } finally {
    doc.off("update", capture);
  }
  return update;
}

async function createFromRows(options: LoadRecordOptions): Promise<LoadedRecord> {
  const { dataset, log, snapshots, key, clock } = options;
  // Read before the rows: a commit landing in between leaves a version past these, so the next
  // load reads the rows again rather than trusting them.
  const versions = await dataset.tableVersions();
  const doc = recordDocFromRows(key, await readRecordRowsBatched(dataset, key.recordId));
  // A log without a snapshot should not exist (the first load saves one before any append); if the
  // snapshot was removed by hand, keep what of the log still applies and let the next persist
  // reconcile the rows with the document.
  const orphans = await log.read(key);
  // Of the document's rows (not of the rows read): a snapshot's digest is always that of its own
  // state's rows, which a fold relies on to tell whether LanceDB still holds what it plans from.
  // Taken before the orphans are applied (the snapshot is then `rowsPending`, the digest unused);
  // otherwise after the joiners are answered: they need the state, not the digest.
  let digest = orphans.length > 0 ? rowsDigest(rowsOfDoc(doc)) : null;
  applyLogEntries(doc, orphans);
  const foldedUpTo = orphans.at(-1)?.pos ?? 0;
  const state = Y.encodeStateAsUpdate(doc);
  const layoutOnly = holdsLayoutOnly(doc);
  if (layoutOnly && options.onFullState) {
    // The joiners get the document as soon as it is built, before its first snapshot is durable:
    // nothing can build on these structs until the save below ends (the room, and with it every
    // edit, comes only after), and a crash before then leaves no log entry that needs them.
    options.onFullState(state);
    // One turn of the event loop: the answer is written out before the digest and the save.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  digest ??= rowsDigest(rowsOfDoc(doc));
  await snapshots.save(key, {
    state,
    foldedUpTo,
    rowsDigest: digest,
    savedAt: isoNow(clock),
    rowsPending: orphans.length > 0,
    lance: versionsAt(versions),
    layoutOnly,
  });
  if (orphans.length > 0) warnOrphans(key, orphans.length);
  return {
    doc,
    foldedUpTo,
    logHead: foldedUpTo,
    replayed: orphans.length,
    externalChanges: false,
    created: true,
    rowsRead: true,
    fullState: state,
  };
}

function warnOrphans(key: RecordKey, n: number): void {
  // Not an error for the caller: reported so an operator sees that a snapshot went missing.
  console.warn(
    `[record-state] ${key.datasetId}/${key.recordId}: ${n} log entries without a snapshot were applied to a document rebuilt from rows`,
  );
}

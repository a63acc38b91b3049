import { DatasetError, Library, type DatasetHandle } from "@tessera/dataset";
import {
  FileRecordLog,
  FileSnapshotStore,
  PersistQueue,
  rowOwners,
  type PersistStep,
  type RecordKey,
} from "@tessera/storage";
import { isComponentTable, isPersistRequest, type PersistReply, type PersistRequest } from "@tessera/shared-crdt";
import { logLine } from "./logLine.js";

/** The worker's side of its IPC channel. */
export interface WorkerChannel {
  send(reply: PersistReply): void;
  onMessage(handler: (message: unknown) => void): void;
  /** The parent went away (IPC channel closed). */
  onDisconnect(handler: () => void): void;
}

export interface PersistWorkerOptions {
  readonly dataDir: string;
  readonly channel: WorkerChannel;
  /** Called before each durable step of each persist (tests crash the process here). */
  readonly onStep?: (key: RecordKey, step: PersistStep) => void;
}

/** Lance versions older than this are removed when the worker compacts a dataset. */
const KEEP_VERSIONS_MS = 60_000;

/**
 * Compaction between batches: when a dataset's lane falls idle after a few commits, or after many
 * commits on a lane that never falls idle (about every 40 batches of a busy team). A dataset opened
 * with the library defaults would compact inside a write every 50 commits instead, stalling it.
 */
const MAINTENANCE = { idleAfterWrites: 20, maxWrites: 150 } as const;

/**
 * The persist worker (docs/ARCHITECTURE.md §3 "Durability" 2): opens the library, reads the record logs
 * read-only (the server owns and trims them), and answers `flush` requests in batches per dataset
 * (`PersistQueue`), replying `flushed` or `failed` for each. Resolves when it has shut down, after a
 * `shutdown` message or the channel closing; queued flushes finish first.
 */
export async function runPersistWorker(options: PersistWorkerOptions): Promise<void> {
  const { dataDir, channel } = options;
  // The worker commits often: it compacts between batches (the queue's maintenance) instead of inside
  // a write, and keeps a minute of Lance versions (a reader in the server may still be on one).
  const library = new Library(dataDir, {
    optimizeAfterWrites: Number.MAX_SAFE_INTEGER,
    optimizeAfterRows: Number.MAX_SAFE_INTEGER,
    pruneVersionsOlderThanMs: KEEP_VERSIONS_MS,
  });
  const log = new FileRecordLog({ dataDir, readOnly: true, onWarning: (m) => logLine("warn", m) });
  const snapshots = new FileSnapshotStore({ dataDir });
  const queue = new PersistQueue({
    datasets: { open: (id) => openDataset(library, id) },
    log,
    snapshots,
    clock: { now: () => Date.now() },
    ...(options.onStep ? { onStep: options.onStep } : {}),
    onRejected: (key, issues) => logLine("warn", "invalid rows not written", { ...key, issues: issues.slice(0, 20) }),
    maintenance: {
      ...MAINTENANCE,
      onError: (datasetId, error) => logLine("warn", "compaction failed", { datasetId, error: describe(error) }),
    },
  });

  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  channel.onDisconnect(() => stop());
  channel.onMessage((message) => {
    if (!isPersistRequest(message)) {
      logLine("error", "ignoring a malformed request", { message: summarize(message) });
      return;
    }
    if (message.type === "shutdown") {
      stop();
      return;
    }
    if (message.type === "owners") {
      void answerOwners(library, message, channel);
      return;
    }
    const key = { datasetId: message.datasetId, recordId: message.recordId };
    queue.flush(key).then(
      (r) =>
        channel.send({
          type: "flushed",
          id: message.id,
          ...key,
          upTo: r.upTo,
          rowsWritten: r.rowsWritten,
          rowsDeleted: r.rowsDeleted,
          statusChanged: r.statusChanged,
        }),
      (err: unknown) => {
        logLine("error", "flush failed", { ...key, error: describe(err) });
        channel.send({ type: "failed", id: message.id, ...key, error: describe(err) });
      },
    );
  });
  channel.send({ type: "ready" });
  logLine("info", "ready", { dataDir });

  await stopped;
  await queue.close();
  await log.close();
  await library.close();
  logLine("info", "stopped");
}

/** An `owners` request, beside the folds (its own query; a fold waiting on LanceDB does not hold it up). */
async function answerOwners(
  library: Library,
  m: Extract<PersistRequest, { type: "owners" }>,
  channel: WorkerChannel,
): Promise<void> {
  try {
    const dataset = await openDataset(library, m.datasetId);
    if (!dataset) throw new Error(`dataset ${JSON.stringify(m.datasetId)} not found`);
    if (!isComponentTable(m.table) || !dataset.schema.tables.has(m.table))
      throw new Error(`dataset ${JSON.stringify(m.datasetId)} has no table ${JSON.stringify(m.table)}`);
    const owners = await rowOwners(dataset, m.table, m.ids);
    channel.send({ type: "owners", id: m.id, owners: [...owners] });
  } catch (err) {
    logLine("warn", "row owner lookup failed", { datasetId: m.datasetId, table: m.table, error: describe(err) });
    channel.send({ type: "owners_failed", id: m.id, error: describe(err) });
  }
}

async function openDataset(library: Library, id: string): Promise<DatasetHandle | null> {
  try {
    return await library.open(id);
  } catch (err) {
    if (err instanceof DatasetError && err.reason === "dataset_not_found") return null;
    throw err;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function summarize(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

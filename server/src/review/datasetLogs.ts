import { promises as fs } from "node:fs";
import path from "node:path";
import { withFileLock } from "../auth/atomicFile.js";
import { AppendLog } from "./appendLog.js";

/** What every dataset's state carries besides its own fields: its log and its one-at-a-time queue. */
export interface LoggedState<E> {
  readonly log: AppendLog<E>;
  /** Mutations of this dataset, one after the other (read, check, append, apply). */
  queue: Promise<unknown>;
  loaded: Promise<void> | null;
  /** Bytes of the log replayed into the state. */
  offset: number;
}

/**
 * Tessera's own per-dataset state kept as events (review threads, assignments): one append-only
 * `<folder>/<base64url(dataset)>.jsonl` per dataset ({@link AppendLog}: each append fsynced before it
 * resolves), replayed into the state at its first use after a start, and one mutation of a dataset
 * at a time so that checks see the state they apply to.
 *
 * `shared` (the scaled mode: several processes append to the same files): each mutation holds the
 * log's lock file and first replays what the others appended since (the tail after the bytes
 * already replayed), and every read replays that tail first — a review comment or an assignment
 * made through another process is seen at the next read.
 */
export class DatasetLogs<E, S extends object> {
  private readonly datasets = new Map<string, S & LoggedState<E>>();

  constructor(
    private readonly dir: string,
    private readonly fresh: () => S,
    private readonly parse: (value: unknown) => E | null,
    private readonly replay: (datasetId: string, state: S & LoggedState<E>, event: E) => void,
    private readonly options: { readonly shared?: boolean } = {},
  ) {}

  /** Datasets whose state is held in memory. */
  get size(): number {
    return this.datasets.size;
  }

  has(datasetId: string): boolean {
    return this.datasets.has(datasetId);
  }

  fileOf(datasetId: string): string {
    return path.join(this.dir, `${Buffer.from(datasetId).toString("base64url")}.jsonl`);
  }

  /** Whether the dataset has a log on disk. */
  async exists(datasetId: string): Promise<boolean> {
    try {
      await fs.access(this.fileOf(datasetId));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }

  /** The dataset's state, created empty (not yet loaded) on first use. */
  state(datasetId: string): S & LoggedState<E> {
    let s = this.datasets.get(datasetId);
    if (!s) {
      s = Object.assign(this.fresh(), {
        log: new AppendLog<E>(this.fileOf(datasetId)),
        queue: Promise.resolve() as Promise<unknown>,
        loaded: null,
        offset: 0,
      });
      this.datasets.set(datasetId, s);
    }
    return s;
  }

  /** The dataset's state with its log replayed (shared: up to what every process appended so far). */
  async load(datasetId: string): Promise<S & LoggedState<E>> {
    const s = await this.loadOnce(datasetId);
    if (this.options.shared) await this.queued(s, () => this.catchUp(datasetId, s));
    return s;
  }

  private async loadOnce(datasetId: string): Promise<S & LoggedState<E>> {
    const s = this.state(datasetId);
    s.loaded ??= s.log.readFrom(0, this.parse).then(({ events, end }) => {
      for (const e of events) this.replay(datasetId, s, e);
      s.offset = end;
    });
    try {
      await s.loaded;
    } catch (err) {
      // A log that cannot be read is retried at the next use (and reported to that caller), never served empty.
      s.loaded = null;
      throw err;
    }
    return s;
  }

  /** Replays what other processes appended after the bytes already replayed. */
  private async catchUp(datasetId: string, s: S & LoggedState<E>): Promise<void> {
    if ((await s.log.size()) <= s.offset) return;
    const { events, end } = await s.log.readFrom(s.offset, this.parse);
    for (const e of events) this.replay(datasetId, s, e);
    s.offset = end;
  }

  /** Runs `fn` after the dataset's steps queued before it. */
  private queued<T>(s: S & LoggedState<E>, fn: () => Promise<T>): Promise<T> {
    const run = s.queue.then(fn, fn);
    s.queue = run.catch(() => undefined);
    return run;
  }

  /** Runs one read-check-append-apply step of a dataset after the ones before it. */
  serial<T>(datasetId: string, fn: (s: S & LoggedState<E>) => Promise<T>): Promise<T> {
    const s = this.state(datasetId);
    if (!this.options.shared) return this.queued(s, async () => fn(await this.loadOnce(datasetId)));
    return this.queued(s, async () => {
      await this.loadOnce(datasetId);
      // One process at a time appends to the file: the check sees every process's events.
      return withFileLock(this.fileOf(datasetId), async () => {
        await this.catchUp(datasetId, s);
        try {
          return await fn(s);
        } finally {
          // What this step appended is applied by `fn` already; nobody else appended meanwhile (the lock).
          s.offset = await s.log.size();
        }
      });
    });
  }

  /** Resolves once every change of the dataset asked for so far is on disk (or refused). */
  async settled(datasetId: string): Promise<void> {
    await this.state(datasetId).queue;
  }
}

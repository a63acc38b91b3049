import * as fsSync from "node:fs";
import * as path from "node:path";
import { RecordLogError } from "./errors.js";
import type { FileRecordLogOptions, FileRecordLogStats } from "./fileRecordLogOptions.js";
import { DEFAULT_JOURNAL_LIMITS, Journal, type SealedSegment } from "./Journal.js";
import { replayJournal } from "./journalReplay.js";
import { OpenFiles } from "./openFiles.js";
import { Mutex } from "./Mutex.js";
import {
  appendRecovered,
  openRecordFile,
  readAtFd,
  trimRecordFile,
  writeAtSync,
  type RecordFile,
} from "./recordFile.js";
import { defaultSync, keyPath, type SyncFn } from "./stateFiles.js";
import type { LogEntry, LogPosition, RecordKey, RecordLog } from "./types.js";
import { ENTRY_HEADER, MAX_ENTRY_BYTES } from "./walFormat.js";
import { listLogFiles, readParsed, readWholeFile, WAL_SUFFIX } from "./walFiles.js";
import { identifyLogFile } from "./walRecovery.js";
import { frameShare, type PendingAppend, type Share } from "./walRound.js";

export type { FileRecordLogOptions, FileRecordLogStats } from "./fileRecordLogOptions.js";

/** The log folder of a data directory. */
export function walDir(dataDir: string): string {
  return path.join(dataDir, ".tessera", "wal");
}

/** The shared journal's folder of a data directory (segments `<seq>.twj`). */
export function journalDir(dataDir: string): string {
  return path.join(dataDir, ".tessera", "wal-journal");
}

/**
 * The embedded write-ahead log (docs/ARCHITECTURE.md §3 "Durability"): one append-only file per
 * record, made durable through a journal shared by all records (`Journal.ts`).
 *
 * Group commit: appends are queued; a round takes everything queued, writes all of it to the
 * journal's current segment with one write and ONE fsync — whatever the number of records — and,
 * meanwhile, each record's new entries to its own file (not synced: the journal's segment
 * checkpoint syncs them later, in the background), then resolves them all. Appends arriving while a
 * round's fsync is in flight form the next round, so under load one fsync covers many updates and
 * an idle log pays one fsync per append. A trim rewrites the file beside it (temp + fsync + rename +
 * directory fsync) holding the record's lock, so it never interleaves with that record's appends,
 * and other records keep committing meanwhile. At start-up the writer replays what a crash left in
 * the journal into the record files (`journalReplay.ts`) before anything else.
 */
export class FileRecordLog implements RecordLog {
  private readonly root: string;
  private readonly readOnly: boolean;
  private readonly maxEntryBytes: number;
  private readonly warn: (message: string) => void;
  private readonly syncImpl: SyncFn;
  private readonly files = new Map<string, Promise<RecordFile | null>>();
  /** The opened files among {@link files}, for eviction. */
  private readonly openFiles: OpenFiles;
  private useCounter = 0;
  private queue: PendingAppend[] = [];
  /** Appends whose record was locked by a trim or read when their round came. */
  private waiting: PendingAppend[] = [];
  private running: Promise<void> | null = null;
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;
  private readonly counters = { rounds: 0, appends: 0, fsyncs: 0, checkpoints: 0 };
  private readonly journal: Journal;
  private readonly trimGate = new Mutex();
  private recovered: Promise<void> | null = null;
  private checkpoints: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout | null;

  constructor(options: FileRecordLogOptions) {
    this.root = walDir(options.dataDir);
    this.readOnly = options.readOnly ?? false;
    this.maxEntryBytes = options.maxEntryBytes ?? MAX_ENTRY_BYTES;
    // Default warning sink: the log has no logger of its own; warnings are rare (crash recovery).
    this.warn = options.onWarning ?? ((m) => console.warn(`[record-log] ${m}`));
    this.openFiles = new OpenFiles(Math.max(1, options.maxOpenFiles ?? 2048), this.warn);
    const sync = options.sync ?? defaultSync;
    this.syncImpl = (h, kind) => {
      this.counters.fsyncs++;
      return sync(h, kind);
    };
    const limits = { ...DEFAULT_JOURNAL_LIMITS, ...options.journal };
    this.journal = new Journal(journalDir(options.dataDir), this.syncImpl, limits);
    // Seals an old segment even when no append comes to do it (an idle server).
    this.timer = this.readOnly
      ? null
      : setInterval(
          () => {
            if (!this.closed && this.journal.due()) this.kick();
          },
          Math.max(10, Math.min(limits.maxAgeMs, 1000)),
        );
    this.timer?.unref();
  }

  stats(): FileRecordLogStats {
    return { ...this.counters, openFiles: this.openFiles.size };
  }

  /** The writer's start-up recovery of the journal, run once before its first operation. */
  private ready(): Promise<void> {
    if (this.readOnly) return Promise.resolve();
    this.recovered ??= replayJournal(
      this.journal,
      (key, entries) => this.replayInto(key, entries),
      this.syncImpl,
      this.warn,
    ).catch((e: unknown) => {
      // Segments that could not be replayed stay on disk for the next start; new rounds use new ones.
      this.warn(`journal recovery failed (its segments are kept for the next start): ${String(e)}`);
    });
    return this.recovered;
  }

  /** Appends the journal's entries a record file lacks (recovery; synced by the replay's checkpoint). */
  private async replayInto(key: RecordKey, entries: readonly LogEntry[]): Promise<number> {
    const rf = await this.fileFor(key, this.pathOf(key), true);
    if (!rf) throw new RecordLogError("io", `cannot open the log of ${JSON.stringify(key)}`);
    await rf.lock.lock();
    try {
      this.openFiles.fdOf(rf);
      this.journal.noteFile(rf.path);
      return appendRecovered(rf, entries);
    } finally {
      rf.lock.unlock();
    }
  }

  append(key: RecordKey, update: Uint8Array): Promise<LogPosition> {
    if (this.closed) return Promise.reject(new RecordLogError("closed", "the record log is closed"));
    if (this.readOnly) return Promise.reject(new RecordLogError("read_only", "this record log was opened read-only"));
    if (update.length > this.maxEntryBytes) {
      return Promise.reject(
        new RecordLogError("too_large", `update of ${update.length} bytes exceeds ${this.maxEntryBytes}`),
      );
    }
    let file: string;
    try {
      file = this.pathOf(key);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<LogPosition>((resolve, reject) => {
      this.queue.push({ key, path: file, update: Uint8Array.from(update), resolve, reject });
      this.kick();
    });
  }

  /**
   * The record is about to be edited (its room loaded): its file is opened, or created, now, in the
   * background, so its first append pays only a write. A burst of first edits on many records then
   * no longer creates their files inside the round that confirms them (1,000 creations held one
   * round ≈ 0.8 s on this machine). A failure is reported and left to the first append, which opens
   * the file again and fails with the reason if it still cannot.
   */
  prepare(key: RecordKey): void {
    if (this.closed || this.readOnly) return;
    let file: string;
    try {
      file = this.pathOf(key);
    } catch (e) {
      this.warn(`cannot prepare the log of ${key.datasetId}/${key.recordId}: ${String(e)}`);
      return;
    }
    this.track(this.ready().then(() => this.fileFor(key, file, true))).catch((e: unknown) =>
      this.warn(`cannot prepare the log of ${key.datasetId}/${key.recordId}: ${String(e)}`),
    );
  }

  async read(key: RecordKey, after: LogPosition = 0): Promise<LogEntry[]> {
    this.assertOpen();
    const file = this.pathOf(key);
    if (this.readOnly) return this.track(readWholeFile(file, after));
    return this.track(
      this.withFile(key, file, async (rf) => {
        if (!rf) return [];
        const wanted = rf.entries.filter((e) => e.pos > after);
        const first = wanted[0];
        if (!first) return [];
        const start = first.offset - ENTRY_HEADER;
        const last = wanted[wanted.length - 1]!;
        const bytes = await readAtFd(rf.fd, start, last.offset + last.length - start);
        return wanted.map((e) => ({
          pos: e.pos,
          update: bytes.subarray(e.offset - start, e.offset - start + e.length),
        }));
      }),
    );
  }

  async trim(key: RecordKey, upTo: LogPosition): Promise<void> {
    this.assertOpen();
    if (this.readOnly) throw new RecordLogError("read_only", "this record log was opened read-only");
    const file = this.pathOf(key);
    // One trim's I/O at a time: a fold of 64 records must not fill the thread pool with fsyncs
    // that the rounds' journal fsync would queue behind.
    await this.track(
      (async () => {
        await this.trimGate.lock();
        try {
          await this.withFile(key, file, async (rf) => {
            if (rf) await trimRecordFile(rf, upTo, this.syncImpl, (f) => this.journal.noteFile(f));
          });
        } finally {
          this.trimGate.unlock();
        }
      })(),
    );
  }

  /**
   * The records whose log holds entries. The writer checks (and if need be repairs, see
   * `walRecovery.ts`) every file it opens here; a file it cannot use is reported and set aside,
   * never allowed to stop the listing of the others.
   */
  async pending(): Promise<RecordKey[]> {
    this.assertOpen();
    await this.track(this.ready());
    const out: RecordKey[] = [];
    for (const file of await listLogFiles(this.root)) {
      try {
        const key = await this.pendingKey(file);
        if (key) out.push(key);
      } catch (e) {
        this.warn(`${file}: skipped by recovery: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return out;
  }

  /** The record of `file` when its log holds entries, else null. */
  private async pendingKey(file: string): Promise<RecordKey | null> {
    if (this.readOnly) {
      const parsed = await readParsed(file);
      return parsed && parsed.entries.length > 0 ? parsed.key : null;
    }
    const open = this.files.get(file);
    const known = open ? await open : null;
    if (known && !known.broken) return known.entries.length > 0 ? known.key : null;
    const key = await identifyLogFile(file, this.warn);
    if (!key) return null;
    const rf = await this.fileFor(key, file, false);
    const pending = rf && rf.entries.length > 0 ? rf.key : null;
    this.evictIdle();
    return pending;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    while (this.running || this.inflight.size > 0) {
      if (this.running) await this.running;
      await Promise.allSettled([...this.inflight]);
    }
    await Promise.allSettled([...this.files.values()]);
    if (!this.readOnly && this.recovered) {
      // A clean stop leaves no journal: every record file is synced and the segments deleted.
      await Promise.allSettled([this.recovered]);
      this.sealJournal();
      await this.checkpoints;
    }
    this.openFiles.closeAll();
    this.files.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new RecordLogError("closed", "the record log is closed");
  }

  private pathOf(key: RecordKey): string {
    return keyPath(this.root, key, WAL_SUFFIX);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Runs `fn` holding the record's lock (null when the record has no log file). */
  private async withFile<T>(key: RecordKey, file: string, fn: (rf: RecordFile | null) => Promise<T>): Promise<T> {
    await this.ready();
    for (;;) {
      const rf = await this.fileFor(key, file, false);
      if (!rf) return fn(null);
      await rf.lock.lock();
      if (rf.broken) {
        rf.lock.unlock();
        continue;
      }
      try {
        rf.lastUsed = ++this.useCounter;
        this.openFiles.fdOf(rf);
        return await fn(rf);
      } finally {
        rf.lock.unlock();
        this.evictIdle();
      }
    }
  }

  /** The open state of a record's file, opening (and, for appends, creating) it once. */
  private fileFor(key: RecordKey, file: string, create: boolean): Promise<RecordFile | null> {
    const known = this.files.get(file);
    if (known) {
      return known.then((rf) => {
        if (rf && !rf.broken) return rf;
        if (!rf && !create) return null;
        if (this.files.get(file) === known) this.files.delete(file);
        return this.fileFor(key, file, create);
      });
    }
    const opening = openRecordFile(key, file, create, {
      sync: this.syncImpl,
      warn: this.warn,
      lock: () => new Mutex(() => this.wake()),
      use: () => ++this.useCounter,
      created: (f, dirs) => {
        this.journal.noteFile(f);
        for (const d of dirs) this.journal.noteDir(d);
      },
    }).then((rf) => {
      if (rf) this.openFiles.fdOf(rf);
      return rf;
    });
    this.files.set(file, opening);
    opening.catch(() => {
      if (this.files.get(file) === opening) this.files.delete(file);
    });
    return opening;
  }

  /** A record's lock went idle: appends that waited for it rejoin the queue, in order. */
  private wake(): void {
    if (this.waiting.length === 0) return;
    this.queue = [...this.waiting, ...this.queue];
    this.waiting = [];
    this.kick();
  }

  private kick(): void {
    if (this.running) return;
    // Start on a microtask: appends issued in the same tick join the first round.
    this.running = Promise.resolve()
      .then(() => this.runRounds())
      .finally(() => {
        this.running = null;
        if (this.queue.length > 0) this.kick();
      });
  }

  private async runRounds(): Promise<void> {
    await this.ready();
    for (;;) {
      if (this.journal.due()) this.sealJournal();
      const batch = this.queue;
      this.queue = [];
      if (batch.length === 0) return;
      const groups = new Map<string, PendingAppend[]>();
      for (const p of batch) {
        const g = groups.get(p.path);
        if (g) g.push(p);
        else groups.set(p.path, [p]);
      }
      const opened = await Promise.all(
        [...groups].map(async ([file, items]) => {
          try {
            return { items, rf: await this.fileFor(items[0]!.key, file, true) };
          } catch (e) {
            for (const p of items)
              p.reject(e instanceof RecordLogError ? e : new RecordLogError("io", `cannot open ${file}`, { cause: e }));
            return null;
          }
        }),
      );
      const work: Share[] = [];
      const retry: PendingAppend[] = [];
      for (const o of opened) {
        if (!o) continue;
        const { rf, items } = o;
        if (!rf || rf.broken) retry.push(...items);
        // Busy with a trim or read: wait (synchronously registered, so the release cannot be missed).
        else if (!rf.lock.tryLock()) this.waiting.push(...items);
        else {
          rf.lastUsed = ++this.useCounter;
          work.push(frameShare(rf, items));
        }
      }
      this.queue = [...retry, ...this.queue];
      if (work.length === 0) continue;
      this.counters.rounds++;
      await this.commit(work);
      this.evictIdle();
    }
  }

  /**
   * Makes a round durable: one journal write and ONE fsync for all its records, while each record's
   * entries are written (not synced) to its own file; nothing is confirmed unless both succeeded.
   */
  private async commit(work: readonly Share[]): Promise<void> {
    let flushed: Promise<void>;
    try {
      const seg = await this.journal.write(Buffer.concat(work.flatMap((w) => w.journal)));
      flushed = this.journal.flush(seg);
    } catch (e) {
      for (const w of work) this.fail(w, e);
      return;
    }
    // Synchronous page-cache writes (see RecordFile.fd), done while the journal's fsync runs.
    const writeErrors = work.map((w) => {
      this.journal.noteFile(w.rf.path);
      try {
        writeAtSync(this.openFiles.fdOf(w.rf), w.bytes, w.start);
        return null;
      } catch (e) {
        return { cause: e };
      }
    });
    let journalError: { cause: unknown } | null = null;
    try {
      await flushed;
    } catch (e) {
      journalError = { cause: e };
    }
    work.forEach((w, i) => {
      const failed = journalError ?? writeErrors[i];
      if (failed) this.breakAndFail(w, failed.cause);
      else this.succeed(w);
    });
  }

  private succeed(w: Share): void {
    w.rf.entries.push(...w.refs);
    w.rf.size = w.end;
    w.rf.lastPos += w.items.length;
    this.counters.appends += w.items.length;
    w.rf.lock.unlock();
    for (let i = 0; i < w.items.length; i++) w.items[i]!.resolve(w.refs[i]!.pos);
  }

  private breakAndFail(w: Share, cause: unknown): void {
    this.breakFile(w.rf, w.start);
    this.fail(w, cause);
  }

  private fail(w: Share, cause: unknown): void {
    const err =
      cause instanceof RecordLogError
        ? cause
        : new RecordLogError("io", `append to ${w.rf.path} failed; nothing of this round is confirmed`, { cause });
    w.rf.lock.unlock();
    for (const p of w.items) p.reject(err);
  }

  /** Seals the journal's current segment and queues its checkpoint (one at a time, in the background). */
  private sealJournal(): void {
    const sealed: SealedSegment | null = this.journal.seal();
    if (!sealed) return;
    const next = this.checkpoints.then(async () => {
      try {
        await this.journal.checkpoint(sealed);
        this.counters.checkpoints++;
      } catch (e) {
        // The segment stays on disk and is replayed at the next start: nothing is lost.
        this.warn(`journal checkpoint of ${sealed.path} failed (kept for the next start): ${String(e)}`);
      }
    });
    this.checkpoints = next;
  }

  /** Closes idle files beyond the maximum (they reopen on next use). */
  private evictIdle(): void {
    this.openFiles.evictIdle(() => new Set([...this.queue, ...this.waiting].map((p) => p.path)));
  }

  /** After a failed write or fsync: cut what this round wrote, close, and let the next access rescan. */
  private breakFile(rf: RecordFile, size: number): void {
    rf.broken = true;
    this.files.delete(rf.path);
    try {
      if (rf.fd >= 0) fsSync.ftruncateSync(rf.fd, size);
    } catch (e) {
      // Best effort: entries of a failed round were never confirmed; if they survive, the reopen
      // scan keeps them as ordinary (idempotent) Yjs updates.
      this.warn(`${rf.path}: cannot cut a failed round (${String(e)})`);
    }
    try {
      this.openFiles.close(rf);
    } catch (e) {
      this.warn(`${rf.path}: close after failure: ${String(e)}`);
    }
  }
}

import * as fsSync from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { RecordLogError } from "./errors.js";
import type { Mutex } from "./Mutex.js";
import { isNotFound, writeAll, writeFileAtomic, type SyncFn } from "./stateFiles.js";
import type { LogEntry, LogPosition, RecordKey } from "./types.js";
import { encodeEntry, encodeHeader, ENTRY_HEADER, parseHeader, scanEntries, type WalEntryRef } from "./walFormat.js";
import { checkLogFile, damageMessage } from "./walRecovery.js";

/** The writer's open state of one record's `.wal` file. */
export interface RecordFile {
  readonly key: RecordKey;
  readonly path: string;
  readonly lock: Mutex;
  /**
   * The open descriptor, or -1 while closed (evicted: the state above stays valid, as this process
   * is the file's only writer, so reopening needs no rescan). Appends use synchronous writes to it:
   * a page-cache write costs microseconds, while an asynchronous one per record would cost a
   * thread-pool round trip each — the price of a round of 1,000 records on a busy machine.
   */
  fd: number;
  base: LogPosition;
  headerLength: number;
  /** Durable entries only: an entry is listed once its round's fsync returned. */
  entries: WalEntryRef[];
  size: number;
  lastPos: LogPosition;
  /** Set after an I/O error: the descriptor is closed and the next access rescans the file. */
  broken: boolean;
  lastUsed: number;
}

export interface OpenDeps {
  readonly sync: SyncFn;
  readonly warn: (message: string) => void;
  readonly lock: () => Mutex;
  readonly use: () => number;
  /**
   * A record file (and the folders) created here: not synced now — the round that needs it is made
   * durable by the shared journal — but by the checkpoint of the journal segment.
   */
  readonly created: (file: string, createdDirs: readonly string[]) => void;
}

/** Folders `mkdir -p` created (each listed once), deepest last; their parents need a sync. */
function makeDirs(dir: string): string[] {
  const first = fsSync.mkdirSync(dir, { recursive: true });
  if (first === undefined) return [];
  const out: string[] = [];
  let d = path.resolve(dir);
  const top = path.resolve(first);
  for (;;) {
    out.push(d);
    if (d === top || path.dirname(d) === d) break;
    d = path.dirname(d);
  }
  return out.reverse();
}

/** Writes all of `bytes` at `position` synchronously (page cache), looping on short writes. */
export function writeAtSync(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = fsSync.writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (n <= 0) throw new Error("short write");
    done += n;
  }
}

const readFd = promisify(fsSync.read);
const openFd = promisify(fsSync.open);
const writeFd = promisify(fsSync.write);
const closeFd = promisify(fsSync.close);

/** Reads exactly `length` bytes at `position`, or fewer at end of file. */
export async function readAtFd(fd: number, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await readFd(fd, buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/**
 * Opens a record's log file, checking (and if need be repairing, `walRecovery.ts`) it. With
 * `create`, a missing file is created holding only a header (written atomically, not synced).
 */
export async function openRecordFile(
  key: RecordKey,
  file: string,
  create: boolean,
  deps: OpenDeps,
): Promise<RecordFile | null> {
  // The common case of a burst of first edits: no file yet. Tried first, one call either way.
  if (create) {
    const created = await createRecordFile(key, file, deps);
    if (created) return created;
  }
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    if (!isNotFound(e)) throw new RecordLogError("io", `cannot read ${file}`, { cause: e });
    if (!create) return null;
    const created = await createRecordFile(key, file, deps);
    if (!created) throw new RecordLogError("io", `${file} appeared and vanished while being opened`);
    return created;
  }
  if (bytes.length === 0) {
    // Created by a process that died before writing the header: nothing to keep.
    await writeFileAtomic(file, [encodeHeader(key, 0)], deps.sync);
    bytes = await fs.readFile(file);
  }
  const checked = await checkLogFile(file, key, bytes, deps.sync);
  if (checked.damage) deps.warn(damageMessage(key, file, checked.damage));
  bytes = checked.bytes;
  const h = parseHeader(bytes);
  if (!h.ok) throw new RecordLogError("corrupt", `${file}: ${h.problem} after repair`);
  const scan = scanEntries(bytes, h.header);
  return {
    key: h.header.key,
    path: file,
    lock: deps.lock(),
    fd: fsSync.openSync(file, "r+"),
    base: h.header.base,
    headerLength: h.header.length,
    entries: scan.entries,
    size: scan.validLength,
    lastPos: scan.lastPos,
    broken: false,
    lastUsed: deps.use(),
  };
}

/**
 * Creates a record's file holding its header, or returns null when it exists already. On the
 * thread pool: a burst of first appends creates its files in parallel, without blocking the event
 * loop (a creation costs ≈ 0.7 ms of kernel time on a busy machine).
 */
async function createRecordFile(key: RecordKey, file: string, deps: OpenDeps): Promise<RecordFile | null> {
  const dirs = makeDirs(path.dirname(file));
  const header = encodeHeader(key, 0);
  // One file creation, no temp + rename: a crash between the create and the header's write leaves
  // an empty file, which holds nothing and is rewritten quietly on its next open (see above); a
  // torn header is repaired like any other.
  let fd: number;
  try {
    fd = await openFd(file, "wx+");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return null;
    throw new RecordLogError("io", `cannot create ${file}`, { cause: e });
  }
  try {
    let done = 0;
    while (done < header.length) {
      const { bytesWritten } = await writeFd(fd, header, done, header.length - done, done);
      if (bytesWritten <= 0) throw new Error("short write");
      done += bytesWritten;
    }
  } catch (e) {
    await closeFd(fd);
    throw new RecordLogError("io", `cannot write the header of ${file}`, { cause: e });
  }
  deps.created(file, [...dirs.map((d) => path.dirname(d)), path.dirname(file)]);
  return {
    key,
    path: file,
    lock: deps.lock(),
    fd,
    base: 0,
    headerLength: header.length,
    entries: [],
    size: header.length,
    lastPos: 0,
    broken: false,
    lastUsed: deps.use(),
  };
}

/**
 * Recovery: appends the entries the file lacks (positions above its last one), not synced (the
 * replay's checkpoint does). The caller holds the record's lock. Returns how many were added.
 */
export function appendRecovered(rf: RecordFile, entries: readonly LogEntry[]): number {
  const missing = entries.filter((e) => e.pos > rf.lastPos);
  const last = missing[missing.length - 1];
  if (!last) return 0;
  let offset = rf.size;
  const refs: WalEntryRef[] = [];
  const frames = missing.map((e) => {
    refs.push({ pos: e.pos, offset: offset + ENTRY_HEADER, length: e.update.length });
    offset += ENTRY_HEADER + e.update.length;
    return encodeEntry(e.pos, e.update);
  });
  writeAtSync(rf.fd, Buffer.concat(frames), rf.size);
  rf.entries.push(...refs);
  rf.size = offset;
  rf.lastPos = last.pos;
  return missing.length;
}

/**
 * Drops the entries at or below `upTo` (never past the last one): the file is rewritten beside
 * itself with the new base (temp + fsync + rename). The rename is made durable by the next journal
 * checkpoint (`renamed` notes the file): until then a power loss may bring back the previous file,
 * which is durable itself or covered by the journal, and only holds entries the trim dropped on top
 * (already folded; Yjs updates apply twice harmlessly). The caller holds the lock.
 */
export async function trimRecordFile(
  rf: RecordFile,
  upTo: LogPosition,
  sync: SyncFn,
  renamed: (file: string) => void,
): Promise<void> {
  const newBase = Math.min(Math.floor(upTo), rf.lastPos);
  if (newBase <= rf.base) return;
  const kept = rf.entries.filter((e) => e.pos > newBase);
  const header = encodeHeader(rf.key, newBase);
  const tailStart = kept.length > 0 ? kept[0]!.offset - ENTRY_HEADER : rf.size;
  const tail = tailStart < rf.size ? await readAtFd(rf.fd, tailStart, rf.size - tailStart) : Buffer.alloc(0);
  const tmp = `${rf.path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const h = await fs.open(tmp, "w");
  try {
    await writeAll(h, Buffer.concat([header, tail]), 0);
    await sync(h, "full");
  } catch (e) {
    await h.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await h.close();
  await fs.rename(tmp, rf.path);
  renamed(rf.path);
  const old = rf.fd;
  rf.fd = fsSync.openSync(rf.path, "r+");
  fsSync.closeSync(old);
  const shift = header.length - tailStart;
  rf.entries = kept.map((e) => ({ ...e, offset: e.offset + shift }));
  rf.base = newBase;
  rf.headerLength = header.length;
  rf.size = header.length + tail.length;
}

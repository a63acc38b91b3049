import * as fs from "node:fs/promises";
import * as path from "node:path";
import { RecordLogError } from "./errors.js";
import type { Mutex } from "./Mutex.js";
import { isNotFound, readAt, writeAll, writeFileAtomic, type SyncFn } from "./stateFiles.js";
import type { LogEntry, LogPosition, RecordKey } from "./types.js";
import { encodeEntry, encodeHeader, ENTRY_HEADER, parseHeader, scanEntries, type WalEntryRef } from "./walFormat.js";
import { checkLogFile, damageMessage } from "./walRecovery.js";

/** The writer's open state of one record's `.wal` file. */
export interface RecordFile {
  readonly key: RecordKey;
  readonly path: string;
  readonly lock: Mutex;
  handle: fs.FileHandle;
  base: LogPosition;
  headerLength: number;
  /** Durable entries only: an entry is listed once its round's fsync returned. */
  entries: WalEntryRef[];
  size: number;
  lastPos: LogPosition;
  /** Set after an I/O error or eviction: the handle is closed and the next access reopens the file. */
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

const NO_SYNC: SyncFn = () => Promise.resolve();

/** Folders `mkdir -p` created (each listed once), deepest last; their parents need a sync. */
async function makeDirs(dir: string): Promise<string[]> {
  const first = await fs.mkdir(dir, { recursive: true });
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
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    if (!isNotFound(e)) throw new RecordLogError("io", `cannot read ${file}`, { cause: e });
    if (!create) return null;
    return createRecordFile(key, file, deps);
  }
  const checked = await checkLogFile(file, key, bytes, deps.sync);
  if (checked.damage) deps.warn(damageMessage(key, file, checked.damage));
  bytes = checked.bytes;
  const h = parseHeader(bytes);
  if (!h.ok) throw new RecordLogError("corrupt", `${file}: ${h.problem} after repair`);
  const scan = scanEntries(bytes, h.header);
  const handle = await fs.open(file, "r+");
  return {
    key: h.header.key,
    path: file,
    lock: deps.lock(),
    handle,
    base: h.header.base,
    headerLength: h.header.length,
    entries: scan.entries,
    size: scan.validLength,
    lastPos: scan.lastPos,
    broken: false,
    lastUsed: deps.use(),
  };
}

async function createRecordFile(key: RecordKey, file: string, deps: OpenDeps): Promise<RecordFile> {
  const dirs = await makeDirs(path.dirname(file));
  const header = encodeHeader(key, 0);
  // Temp + rename: after a crash the file is whole or absent, never a torn header.
  await writeFileAtomic(file, [header], NO_SYNC);
  deps.created(file, [...dirs.map((d) => path.dirname(d)), path.dirname(file)]);
  const handle = await fs.open(file, "r+");
  return {
    key,
    path: file,
    lock: deps.lock(),
    handle,
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
export async function appendRecovered(rf: RecordFile, entries: readonly LogEntry[]): Promise<number> {
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
  await writeAll(rf.handle, Buffer.concat(frames), rf.size);
  rf.entries.push(...refs);
  rf.size = offset;
  rf.lastPos = last.pos;
  return missing.length;
}

/**
 * Drops the entries at or below `upTo` (never past the last one): the file is rewritten beside
 * itself with the new base (temp + fsync + rename + folder fsync). The caller holds the lock.
 */
export async function trimRecordFile(rf: RecordFile, upTo: LogPosition, sync: SyncFn): Promise<void> {
  const newBase = Math.min(Math.floor(upTo), rf.lastPos);
  if (newBase <= rf.base) return;
  const kept = rf.entries.filter((e) => e.pos > newBase);
  const header = encodeHeader(rf.key, newBase);
  const tailStart = kept.length > 0 ? kept[0]!.offset - ENTRY_HEADER : rf.size;
  const tail = tailStart < rf.size ? await readAt(rf.handle, tailStart, rf.size - tailStart) : Buffer.alloc(0);
  await writeFileAtomic(rf.path, [header, tail], sync);
  const old = rf.handle;
  rf.handle = await fs.open(rf.path, "r+");
  await old.close();
  const shift = header.length - tailStart;
  rf.entries = kept.map((e) => ({ ...e, offset: e.offset + shift }));
  rf.base = newBase;
  rf.headerLength = header.length;
  rf.size = header.length + tail.length;
}

import { crc32 } from "node:zlib";
import { decodeKey, encodeKey } from "./stateFiles.js";
import type { LogPosition, RecordKey } from "./types.js";

/**
 * The on-disk format of one record's write-ahead log file (`.wal`), version 1.
 *
 * Header (24 bytes + key):
 *   magic "TWAL" | version u16 | flags u16 | base u64 | keyLength u32 | crc32 u32 | key (UTF-8 JSON)
 * `base` is the last position dropped by a trim (0 for a new log): the next entry is `base + 1`
 * even when the file holds none, so positions keep increasing across trims. The CRC covers the
 * header bytes before it and the key.
 *
 * Entry (16 bytes + update):
 *   length u32 | crc32 u32 | pos u64 | update bytes
 * The CRC covers `pos` and the update. Entries are written contiguously with consecutive positions.
 *
 * Reading is per entry: an entry is valid when its length fits (≤ MAX_ENTRY_BYTES and inside the
 * file), its position is a safe integer greater than the last valid one, and its CRC holds. After
 * an invalid entry (a flipped byte, a torn write) the scan resynchronises: it tries every following
 * byte offset as an entry start and resumes at the first valid entry, so the intact entries after a
 * damaged one are kept (positions may then have a gap). Bytes that belong to no valid entry are
 * reported as damaged ranges; at the end of the file they are usually a torn tail from a crash
 * mid-write (never acknowledged), in the middle they are corruption.
 */
const WAL_MAGIC = "TWAL";
const WAL_VERSION = 1;
export const WAL_HEADER_FIXED = 24;
export const ENTRY_HEADER = 16;
/** Largest update one entry may carry (a record document is far smaller). */
export const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

export interface WalHeader {
  readonly key: RecordKey;
  readonly base: LogPosition;
  /** Byte length of the header, i.e. the offset of the first entry. */
  readonly length: number;
}

/** One entry's place in the file. */
export interface WalEntryRef {
  readonly pos: LogPosition;
  /** Offset of the update bytes (after the entry header). */
  readonly offset: number;
  readonly length: number;
}

export function encodeHeader(key: RecordKey, base: LogPosition): Buffer {
  const keyBytes = encodeKey(key);
  const buf = Buffer.alloc(WAL_HEADER_FIXED + keyBytes.length);
  buf.write(WAL_MAGIC, 0, "latin1");
  buf.writeUInt16LE(WAL_VERSION, 4);
  buf.writeUInt16LE(0, 6);
  buf.writeBigUInt64LE(BigInt(base), 8);
  buf.writeUInt32LE(keyBytes.length, 16);
  buf.set(keyBytes, WAL_HEADER_FIXED);
  buf.writeUInt32LE(crc32(keyBytes, crc32(buf.subarray(0, 20))), 20);
  return buf;
}

export type HeaderResult = { ok: true; header: WalHeader } | { ok: false; problem: string };

export function parseHeader(buf: Uint8Array): HeaderResult {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < WAL_HEADER_FIXED) return { ok: false, problem: "file shorter than its header" };
  if (b.toString("latin1", 0, 4) !== WAL_MAGIC) return { ok: false, problem: "not a Tessera log file" };
  const version = b.readUInt16LE(4);
  if (version !== WAL_VERSION) return { ok: false, problem: `unsupported log version ${version}` };
  const keyLength = b.readUInt32LE(16);
  if (WAL_HEADER_FIXED + keyLength > b.length) return { ok: false, problem: "header key truncated" };
  const keyBytes = b.subarray(WAL_HEADER_FIXED, WAL_HEADER_FIXED + keyLength);
  if (crc32(keyBytes, crc32(b.subarray(0, 20))) !== b.readUInt32LE(20))
    return { ok: false, problem: "header checksum mismatch" };
  const key = decodeKey(keyBytes);
  const base = Number(b.readBigUInt64LE(8));
  if (!key || !Number.isSafeInteger(base)) return { ok: false, problem: "header fields invalid" };
  return { ok: true, header: { key, base, length: WAL_HEADER_FIXED + keyLength } };
}

/** Frames one update as an entry. */
export function encodeEntry(pos: LogPosition, update: Uint8Array): Buffer {
  const buf = Buffer.alloc(ENTRY_HEADER + update.length);
  buf.writeUInt32LE(update.length, 0);
  buf.writeBigUInt64LE(BigInt(pos), 8);
  buf.set(update, ENTRY_HEADER);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

/** A byte range `[start, end)` of a log file that belongs to no valid entry. */
interface DamagedRange {
  readonly start: number;
  readonly end: number;
}

export interface ScanResult {
  /** Every valid entry, in file order (positions strictly increasing). */
  readonly entries: WalEntryRef[];
  /** Bytes up to the end of the last valid entry. */
  readonly validLength: number;
  /** Last position (base when there are no entries). */
  readonly lastPos: LogPosition;
  /** Ranges skipped over: corruption in the middle, a torn tail at the end. Empty for a sound file. */
  readonly damaged: DamagedRange[];
}

/** The entry starting at `offset`, if it is valid and comes after `lastPos`. */
function entryAt(b: Buffer, offset: number, lastPos: LogPosition): WalEntryRef | null {
  if (offset + ENTRY_HEADER > b.length) return null;
  const length = b.readUInt32LE(offset);
  if (length > MAX_ENTRY_BYTES || offset + ENTRY_HEADER + length > b.length) return null;
  const big = b.readBigUInt64LE(offset + 8);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const pos = Number(big);
  if (pos <= lastPos) return null;
  if (crc32(b.subarray(offset + 8, offset + ENTRY_HEADER + length)) !== b.readUInt32LE(offset + 4)) return null;
  return { pos, offset: offset + ENTRY_HEADER, length };
}

/**
 * Walks the entries of a whole file from `start` (the end of the parsed header), resynchronising
 * after damaged bytes (see the format notes above).
 */
export function scanEntries(file: Uint8Array, header: Pick<WalHeader, "base" | "length">): ScanResult {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const entries: WalEntryRef[] = [];
  const damaged: DamagedRange[] = [];
  let offset = header.length;
  let validLength = header.length;
  let lastPos = header.base;
  while (offset < b.length) {
    const entry = entryAt(b, offset, lastPos);
    if (entry) {
      entries.push(entry);
      lastPos = entry.pos;
      offset = entry.offset + entry.length;
      validLength = offset;
      continue;
    }
    // Resync: the next offset where a valid entry starts.
    let next = offset + 1;
    let found: WalEntryRef | null = null;
    for (; next + ENTRY_HEADER <= b.length; next++) {
      found = entryAt(b, next, lastPos);
      if (found) break;
    }
    const end = found ? next : b.length;
    damaged.push({ start: offset, end });
    offset = end;
  }
  return { entries, validLength, lastPos, damaged };
}

/**
 * The file holding only the valid entries of `bytes` after a fresh header for `key` (what recovery
 * writes after setting the damaged original aside). The header's base is kept when known, else it is
 * the position before the first surviving entry.
 */
export function rebuildFile(
  bytes: Uint8Array,
  key: RecordKey,
  base: LogPosition,
  entries: readonly WalEntryRef[],
): Buffer {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Buffer[] = [encodeHeader(key, base)];
  for (const e of entries) parts.push(b.subarray(e.offset - ENTRY_HEADER, e.offset + e.length));
  return Buffer.concat(parts);
}

import { crc32 } from "./crc32.js";
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
 * The CRC covers `pos` and the update. Entries are contiguous and their positions consecutive; the
 * first entry that is short, fails its CRC or breaks the sequence ends the log (a torn tail from a
 * crash mid-write: it was never acknowledged, so dropping it loses nothing confirmed).
 */
export const WAL_MAGIC = "TWAL";
export const WAL_VERSION = 1;
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
  if (crc32(keyBytes, crc32(b.subarray(0, 20))) !== b.readUInt32LE(20)) return { ok: false, problem: "header checksum mismatch" };
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

export interface ScanResult {
  readonly entries: WalEntryRef[];
  /** Bytes up to the end of the last valid entry; anything after is a torn tail. */
  readonly validLength: number;
  /** Last position (base when there are no entries). */
  readonly lastPos: LogPosition;
}

/** Walks the entries of a whole file (header already parsed). */
export function scanEntries(file: Uint8Array, header: WalHeader): ScanResult {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const entries: WalEntryRef[] = [];
  let offset = header.length;
  let lastPos = header.base;
  while (offset + ENTRY_HEADER <= b.length) {
    const length = b.readUInt32LE(offset);
    if (length > MAX_ENTRY_BYTES || offset + ENTRY_HEADER + length > b.length) break;
    const pos = Number(b.readBigUInt64LE(offset + 8));
    if (pos !== lastPos + 1) break;
    if (crc32(b.subarray(offset + 8, offset + ENTRY_HEADER + length)) !== b.readUInt32LE(offset + 4)) break;
    entries.push({ pos, offset: offset + ENTRY_HEADER, length });
    lastPos = pos;
    offset += ENTRY_HEADER + length;
  }
  return { entries, validLength: offset, lastPos };
}

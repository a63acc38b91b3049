import { crc32 } from "node:zlib";
import { decodeKey, encodeKey } from "./stateFiles.js";
import type { LogPosition, RecordKey } from "./types.js";
import { MAX_ENTRY_BYTES } from "./walFormat.js";

/**
 * The on-disk format of a shared journal segment (`.tessera/wal-journal/<seq>.twj`), version 1: the
 * file a group-commit round makes durable with ONE fsync whatever the number of records it holds
 * (docs/ARCHITECTURE.md §3 "Durability").
 *
 * Header (24 bytes): magic "TWJ1" | version u16 | flags u16 | seq u64 | reserved u32 | crc32 u32
 * (the CRC covers the 20 bytes before it).
 *
 * Entry (20 bytes + key + update):
 *   length u32 | crc32 u32 | pos u64 | keyLength u32 | key (UTF-8 JSON `[dataset, record]`) | update
 * `length` counts the key and the update; the CRC covers `pos` to the end of the update.
 *
 * Scanning is per entry and resynchronises after damaged bytes like the record files
 * (`walFormat.ts`): an entry is valid when its length fits, its key decodes and its CRC holds. The
 * same (record, position) may appear twice when a round failed after its journal write and the
 * position was reused by the next round: the LATER occurrence is the one that was acknowledged.
 */
const MAGIC = "TWJ1";
const VERSION = 1;
export const JOURNAL_HEADER = 24;
const JOURNAL_ENTRY_HEADER = 20;
export const JOURNAL_SUFFIX = ".twj";
const MAX_KEY_BYTES = 16 * 1024;

export function encodeJournalHeader(seq: number): Buffer {
  const buf = Buffer.alloc(JOURNAL_HEADER);
  buf.write(MAGIC, 0, "latin1");
  buf.writeUInt16LE(VERSION, 4);
  buf.writeUInt16LE(0, 6);
  buf.writeBigUInt64LE(BigInt(seq), 8);
  buf.writeUInt32LE(0, 16);
  buf.writeUInt32LE(crc32(buf.subarray(0, 20)), 20);
  return buf;
}

export type JournalHeaderResult = { ok: true; seq: number } | { ok: false; problem: string };

export function parseJournalHeader(buf: Uint8Array): JournalHeaderResult {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < JOURNAL_HEADER) return { ok: false, problem: "file shorter than its header" };
  if (b.toString("latin1", 0, 4) !== MAGIC) return { ok: false, problem: "not a Tessera journal segment" };
  const version = b.readUInt16LE(4);
  if (version !== VERSION) return { ok: false, problem: `unsupported journal version ${version}` };
  if (crc32(b.subarray(0, 20)) !== b.readUInt32LE(20)) return { ok: false, problem: "header checksum mismatch" };
  const seq = Number(b.readBigUInt64LE(8));
  if (!Number.isSafeInteger(seq)) return { ok: false, problem: "header fields invalid" };
  return { ok: true, seq };
}

/** Frames one update of one record. */
export function encodeJournalEntry(key: RecordKey, pos: LogPosition, update: Uint8Array): Buffer {
  const keyBytes = encodeKey(key);
  const buf = Buffer.alloc(JOURNAL_ENTRY_HEADER + keyBytes.length + update.length);
  buf.writeUInt32LE(keyBytes.length + update.length, 0);
  buf.writeBigUInt64LE(BigInt(pos), 8);
  buf.writeUInt32LE(keyBytes.length, 16);
  buf.set(keyBytes, JOURNAL_ENTRY_HEADER);
  buf.set(update, JOURNAL_ENTRY_HEADER + keyBytes.length);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

export interface JournalEntry {
  readonly key: RecordKey;
  readonly pos: LogPosition;
  readonly update: Uint8Array;
}

export interface JournalScan {
  /** Valid entries in file order. */
  readonly entries: JournalEntry[];
  /** Bytes belonging to no valid entry (a torn tail after a crash, or corruption). */
  readonly damagedBytes: number;
}

function entryAt(b: Buffer, offset: number): { entry: JournalEntry; end: number } | null {
  if (offset + JOURNAL_ENTRY_HEADER > b.length) return null;
  const length = b.readUInt32LE(offset);
  const keyLength = b.readUInt32LE(offset + 16);
  if (length > MAX_ENTRY_BYTES + MAX_KEY_BYTES || keyLength > MAX_KEY_BYTES || keyLength > length) return null;
  const end = offset + JOURNAL_ENTRY_HEADER + length;
  if (end > b.length) return null;
  const big = b.readBigUInt64LE(offset + 8);
  if (big === 0n || big > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  if (crc32(b.subarray(offset + 8, end)) !== b.readUInt32LE(offset + 4)) return null;
  const keyStart = offset + JOURNAL_ENTRY_HEADER;
  const key = decodeKey(b.subarray(keyStart, keyStart + keyLength));
  if (!key) return null;
  return { entry: { key, pos: Number(big), update: b.subarray(keyStart + keyLength, end) }, end };
}

/** Every valid entry of a segment's bytes (header already checked), resynchronising after damage. */
export function scanJournal(bytes: Uint8Array): JournalScan {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: JournalEntry[] = [];
  let damagedBytes = 0;
  let offset = JOURNAL_HEADER;
  while (offset < b.length) {
    const found = entryAt(b, offset);
    if (found) {
      entries.push(found.entry);
      offset = found.end;
      continue;
    }
    let next = offset + 1;
    while (next + JOURNAL_ENTRY_HEADER <= b.length && !entryAt(b, next)) next++;
    const end = next + JOURNAL_ENTRY_HEADER <= b.length ? next : b.length;
    damagedBytes += end - offset;
    offset = end;
  }
  return { entries, damagedBytes };
}

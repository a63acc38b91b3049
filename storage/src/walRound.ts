import { encodeJournalEntry } from "./journalFormat.js";
import type { RecordFile } from "./recordFile.js";
import type { LogPosition, RecordKey } from "./types.js";
import { encodeEntry, ENTRY_HEADER, type WalEntryRef } from "./walFormat.js";

/** What a group-commit round of `FileRecordLog` is made of. */

/** One queued append, resolved with its position once durable. */
export interface PendingAppend {
  readonly key: RecordKey;
  readonly path: string;
  readonly update: Uint8Array;
  resolve(pos: LogPosition): void;
  reject(e: unknown): void;
}

/** One record's part of a group-commit round. */
export interface Share {
  readonly rf: RecordFile;
  readonly items: readonly PendingAppend[];
  /** Where its frames go in the record file, and where they end. */
  readonly start: number;
  readonly end: number;
  readonly refs: WalEntryRef[];
  /** The record file's frames. */
  readonly bytes: Buffer;
  /** The same entries framed for the shared journal. */
  readonly journal: Buffer[];
}

/** One record's part of a round: its positions and frames (the caller holds the record's lock). */
export function frameShare(rf: RecordFile, items: readonly PendingAppend[]): Share {
  const start = rf.size;
  const refs: WalEntryRef[] = [];
  const frames: Buffer[] = [];
  const journal: Buffer[] = [];
  let offset = start;
  items.forEach((p, i) => {
    const pos = rf.lastPos + 1 + i;
    const frame = encodeEntry(pos, p.update);
    refs.push({ pos, offset: offset + ENTRY_HEADER, length: p.update.length });
    frames.push(frame);
    journal.push(encodeJournalEntry(rf.key, pos, p.update));
    offset += frame.length;
  });
  return { rf, items, start, end: offset, refs, bytes: Buffer.concat(frames), journal };
}

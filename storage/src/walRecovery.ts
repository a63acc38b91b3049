import * as fs from "node:fs/promises";
import * as path from "node:path";
import { decodeId, isNotFound, writeFileAtomic, type SyncFn } from "./stateFiles.js";
import type { RecordKey } from "./types.js";
import { parseHeader, rebuildFile, scanEntries, WAL_HEADER_FIXED, type ScanResult } from "./walFormat.js";
import { WAL_SUFFIX } from "./walFiles.js";

/**
 * Start-up repair of one damaged record log (a bad header, corrupt bytes between entries, a torn
 * tail). Per entry, never per file: every entry whose checksum holds is kept, in order; the damaged
 * original is first copied aside whole (`<name>.damaged-<ms>`, synced) and only then is the log
 * rewritten atomically with the surviving entries, so the only copy of anything is never cut.
 *
 * A gap in positions means lost Yjs updates: later updates that depend on them stay pending in the
 * document (Yjs keeps them and applies them once the missing structs arrive), and a client that
 * still holds the missing edits sends them again when it re-syncs, so the document converges.
 */

/** The record a log file belongs to, from its path (`<enc(dataset)>/<enc(record)>.wal`), or null for hashed names. */
function keyFromLogPath(file: string): RecordKey | null {
  const base = path.basename(file);
  if (!base.endsWith(WAL_SUFFIX)) return null;
  const datasetId = decodeId(path.basename(path.dirname(file)));
  const recordId = decodeId(base.slice(0, -WAL_SUFFIX.length));
  return datasetId !== null && recordId !== null ? { datasetId, recordId } : null;
}

export interface LogDamage {
  /** Why the file was repaired (header problem, damaged ranges). */
  readonly problem: string;
  /** Where the untouched original was copied. */
  readonly aside: string;
  readonly keptEntries: number;
  readonly damagedBytes: number;
}

/** What a log file holds: sound (`damage` null) or after its repair. */
export interface CheckedLog {
  readonly bytes: Buffer;
  readonly damage: LogDamage | null;
}

function describe(scan: ScanResult, headerProblem: string | null, size: number): string {
  const parts: string[] = [];
  if (headerProblem) parts.push(`bad header (${headerProblem})`);
  for (const r of scan.damaged) {
    parts.push(
      r.end === size
        ? `torn tail (or damaged last entry) at bytes ${r.start}-${r.end}`
        : `damaged bytes ${r.start}-${r.end}`,
    );
  }
  return parts.join(", ");
}

/**
 * Checks the bytes of `key`'s log `file`; when anything is damaged, copies the original aside and
 * rewrites `file` with a fresh header and every valid entry. Returns the bytes now in `file`.
 */
export async function checkLogFile(
  file: string,
  key: RecordKey,
  bytes: Buffer,
  sync: SyncFn,
  now: () => number = Date.now,
): Promise<CheckedLog> {
  const h = parseHeader(bytes);
  // With a bad header the key comes from the caller (the file's path) and entries are searched for
  // after the fixed header part; the original base is unknown, so it becomes the position before the
  // first surviving entry.
  const scan = h.ok
    ? scanEntries(bytes, h.header)
    : scanEntries(bytes, { base: 0, length: Math.min(WAL_HEADER_FIXED, bytes.length) });
  if (h.ok && scan.damaged.length === 0) return { bytes, damage: null };
  const first = scan.entries[0];
  const base = h.ok ? h.header.base : first ? first.pos - 1 : 0;
  const aside = `${file}.damaged-${now()}`;
  await writeFileAtomic(aside, [bytes], sync);
  const rebuilt = rebuildFile(bytes, key, base, scan.entries);
  await writeFileAtomic(file, [rebuilt], sync);
  const damagedBytes = scan.damaged.reduce((n, r) => n + (r.end - r.start), 0);
  return {
    bytes: rebuilt,
    damage: {
      problem: describe(scan, h.ok ? null : h.problem, bytes.length),
      aside,
      keptEntries: scan.entries.length,
      damagedBytes,
    },
  };
}

/** One line for the operator: which record, what was wrong, what was kept, where the original is. */
export function damageMessage(key: RecordKey, file: string, d: LogDamage): string {
  return `record ${JSON.stringify(key.datasetId)}/${JSON.stringify(key.recordId)} (${file}): ${d.problem}; kept ${d.keptEntries} valid entries, skipped ${d.damagedBytes} damaged bytes; the original is set aside as ${d.aside}`;
}

/**
 * The record a log file found by a listing belongs to: from its header, else from its name; null
 * when it is gone, or when neither names it (a hashed long-id name with a bad header: the file is
 * then only set aside, reported through `warn`).
 */
export async function identifyLogFile(file: string, warn: (message: string) => void): Promise<RecordKey | null> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  const h = parseHeader(bytes);
  const key = h.ok ? h.header.key : keyFromLogPath(file);
  if (key) return key;
  if (bytes.length === 0) {
    // Created by a process that died before writing the header: it holds nothing.
    await fs.rm(file, { force: true });
    return null;
  }
  const aside = `${file}.damaged-${Date.now()}`;
  await fs.rename(file, aside);
  warn(
    `${file}: ${h.ok ? "" : h.problem}; the record cannot be identified from the file name, the file is set aside as ${aside}`,
  );
  return null;
}

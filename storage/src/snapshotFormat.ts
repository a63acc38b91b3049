import { crc32 } from "node:zlib";
import { parseTableVersions, type TableVersions } from "./lanceVersions.js";
import type { RecordKey, RecordSnapshot } from "./types.js";

/**
 * The on-disk format of a record snapshot (`.snap`), version 1:
 *   magic "TSNP" | version u16 | flags u16 | metaLength u32 | crc32 u32 | meta (UTF-8 JSON) | state
 * `meta` holds the key, `foldedUpTo`, `rowsDigest`, `savedAt`, `rowsPending`, the state length and,
 * optionally, `lance` (the table versions the rows match; readers without it ignore the field)
 * and `layoutOnly` (true: nothing live outside the record layout; absent: not known);
 * the CRC covers meta and state. Files are replaced whole by rename, so a reader sees an old or a new
 * snapshot, never a mix; the CRC catches media corruption.
 */
const SNAPSHOT_MAGIC = "TSNP";
const SNAPSHOT_VERSION = 1;
const FIXED = 16;

interface Meta {
  datasetId: string;
  recordId: string;
  foldedUpTo: number;
  rowsDigest: string;
  savedAt: string;
  rowsPending: boolean;
  stateLength: number;
  lance?: TableVersions;
  layoutOnly?: boolean;
}

export function encodeSnapshot(key: RecordKey, s: RecordSnapshot): Buffer[] {
  const meta: Meta = {
    datasetId: key.datasetId,
    recordId: key.recordId,
    foldedUpTo: s.foldedUpTo,
    rowsDigest: s.rowsDigest,
    savedAt: s.savedAt,
    rowsPending: s.rowsPending ?? false,
    stateLength: s.state.length,
    ...(s.lance ? { lance: s.lance } : {}),
    ...(s.layoutOnly ? { layoutOnly: true } : {}),
  };
  const metaBytes = Buffer.from(JSON.stringify(meta), "utf8");
  const head = Buffer.alloc(FIXED);
  head.write(SNAPSHOT_MAGIC, 0, "latin1");
  head.writeUInt16LE(SNAPSHOT_VERSION, 4);
  head.writeUInt16LE(0, 6);
  head.writeUInt32LE(metaBytes.length, 8);
  head.writeUInt32LE(crc32(s.state, crc32(metaBytes)), 12);
  return [head, metaBytes, Buffer.from(s.state.buffer, s.state.byteOffset, s.state.byteLength)];
}

export type DecodedSnapshot =
  | { ok: true; key: RecordKey; snapshot: RecordSnapshot }
  | { ok: false; reason: "corrupt" | "unsupported_version"; problem: string };

export function decodeSnapshot(bytes: Buffer): DecodedSnapshot {
  const bad = (problem: string): DecodedSnapshot => ({ ok: false, reason: "corrupt", problem });
  if (bytes.length < FIXED || bytes.toString("latin1", 0, 4) !== SNAPSHOT_MAGIC) return bad("not a Tessera snapshot");
  const version = bytes.readUInt16LE(4);
  if (version !== SNAPSHOT_VERSION)
    return { ok: false, reason: "unsupported_version", problem: `snapshot version ${version}` };
  const metaLength = bytes.readUInt32LE(8);
  if (FIXED + metaLength > bytes.length) return bad("truncated meta");
  const metaBytes = bytes.subarray(FIXED, FIXED + metaLength);
  let meta: Partial<Meta>;
  try {
    meta = JSON.parse(metaBytes.toString("utf8")) as Partial<Meta>;
  } catch (e) {
    if (e instanceof SyntaxError) return bad("meta is not JSON");
    throw e;
  }
  const stateLength = meta.stateLength;
  if (typeof stateLength !== "number" || FIXED + metaLength + stateLength !== bytes.length)
    return bad("length mismatch");
  const state = bytes.subarray(FIXED + metaLength);
  if (crc32(state, crc32(metaBytes)) !== bytes.readUInt32LE(12)) return bad("checksum mismatch");
  if (
    typeof meta.datasetId !== "string" ||
    typeof meta.recordId !== "string" ||
    typeof meta.foldedUpTo !== "number" ||
    typeof meta.rowsDigest !== "string" ||
    typeof meta.savedAt !== "string"
  ) {
    return bad("meta fields missing");
  }
  return {
    ok: true,
    key: { datasetId: meta.datasetId, recordId: meta.recordId },
    snapshot: {
      state: new Uint8Array(state),
      foldedUpTo: meta.foldedUpTo,
      rowsDigest: meta.rowsDigest,
      savedAt: meta.savedAt,
      rowsPending: meta.rowsPending === true,
      // A malformed field only costs the next load a read of the rows.
      ...lanceOf(meta.lance),
      ...(meta.layoutOnly === true ? { layoutOnly: true } : {}),
    },
  };
}

function lanceOf(v: unknown): { lance?: TableVersions } {
  const lance = parseTableVersions(v);
  return lance ? { lance } : {};
}

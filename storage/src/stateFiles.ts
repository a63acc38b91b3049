import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { RecordStateError } from "./errors.js";
import type { RecordKey } from "./types.js";

/**
 * File names and durable file operations shared by the log and the snapshot store. Ids may hold
 * `..`, spaces, slashes in other tools' data, unicode, and differ only by case, so a path is never
 * built from a raw id: each id becomes lowercase RFC 4648 base32 (safe on case-insensitive file
 * systems, reversible), or `~` + SHA-256 when that would exceed a portable name length. Files
 * also carry their key inside, so listings never depend on decoding names.
 */

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
/** Longest encoded name kept readable; file systems allow 255 bytes per name, suffixes included. */
const MAX_ENCODED = 200;

function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(s: string): Uint8Array | null {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of s) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return Uint8Array.from(out);
}

/** The file-name form of one id (never empty, never `.`/`..`, no separators). */
export function encodeId(id: string): string {
  const encoded = "_" + base32(new TextEncoder().encode(id));
  if (encoded.length <= MAX_ENCODED) return encoded;
  return "~" + createHash("sha256").update(id, "utf8").digest("hex");
}

/** The id of an encoded name, or null for hashed (long) names and foreign files. */
export function decodeId(name: string): string | null {
  if (!name.startsWith("_")) return null;
  const bytes = unbase32(name.slice(1));
  if (!bytes) return null;
  const id = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  return encodeId(id) === name ? id : null;
}

/** Checks a key before it reaches the file system (ids are non-empty strings, SPEC S-ID). */
export function assertKey(key: RecordKey): void {
  for (const [field, v] of [
    ["datasetId", key.datasetId],
    ["recordId", key.recordId],
  ] as const) {
    if (typeof v !== "string" || v === "" || v.length > 1024) {
      throw new RecordStateError("invalid_key", `${field} must be a non-empty string of at most 1024 characters`);
    }
  }
}

/** `<root>/<enc(datasetId)>/<enc(recordId)><suffix>`. */
export function keyPath(root: string, key: RecordKey, suffix: string): string {
  assertKey(key);
  return path.join(root, encodeId(key.datasetId), encodeId(key.recordId) + suffix);
}

/** The key stored inside a state file: UTF-8 JSON `[datasetId, recordId]`. */
export function encodeKey(key: RecordKey): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([key.datasetId, key.recordId]));
}

export function decodeKey(bytes: Uint8Array): RecordKey | null {
  try {
    const v: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string") {
      return { datasetId: v[0], recordId: v[1] };
    }
    return null;
  } catch (e) {
    // A damaged key is reported as "no key" and the caller treats the file as corrupt.
    if (e instanceof SyntaxError || e instanceof TypeError) return null;
    throw e;
  }
}

export function sameKey(a: RecordKey, b: RecordKey): boolean {
  return a.datasetId === b.datasetId && a.recordId === b.recordId;
}

/** How a handle is made durable: `data` for file contents (fdatasync), `full` for directories and renames. */
export type SyncKind = "data" | "full";
export type SyncFn = (handle: fs.FileHandle, kind: SyncKind) => Promise<void>;

export const defaultSync: SyncFn = (handle, kind) => (kind === "data" ? handle.datasync() : handle.sync());

/** Makes a directory's entries (created, renamed, removed files) durable. */
export async function syncDir(dir: string, sync: SyncFn): Promise<void> {
  const h = await fs.open(dir, "r");
  try {
    await sync(h, "full");
  } finally {
    await h.close();
  }
}

/**
 * Creates `dir` and its missing parents, syncing the parent of every folder it created, so a file
 * created inside survives a power loss.
 */
export async function ensureDir(dir: string, sync: SyncFn): Promise<void> {
  const created = await fs.mkdir(dir, { recursive: true });
  if (created === undefined) return;
  const first = path.resolve(created);
  let d = path.resolve(dir);
  const parents: string[] = [];
  for (;;) {
    parents.push(path.dirname(d));
    if (d === first || path.dirname(d) === d) break;
    d = path.dirname(d);
  }
  for (const p of parents) await syncDir(p, sync);
}

/** Writes `target` atomically: a temp file in the same folder, synced, renamed over, folder synced. */
export async function writeFileAtomic(target: string, chunks: readonly Uint8Array[], sync: SyncFn): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const h = await fs.open(tmp, "w");
  try {
    for (const c of chunks) await writeAll(h, c, null);
    await sync(h, "full");
  } catch (e) {
    await h.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await h.close();
  await fs.rename(tmp, target);
  await syncDir(path.dirname(target), sync);
}

/** `true` for a temp file left by {@link writeFileAtomic} (a crash before the rename). */
export function isTempName(name: string): boolean {
  return /\.tmp-\d+-[a-z0-9]+$/.test(name);
}

/** Writes all of `bytes` at `position` (or the current offset when null), looping on short writes. */
export async function writeAll(h: fs.FileHandle, bytes: Uint8Array, position: number | null): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await h.write(
      bytes,
      done,
      bytes.length - done,
      position === null ? null : position + done,
    );
    if (bytesWritten <= 0) throw new Error("short write");
    done += bytesWritten;
  }
}

/** Whether an error is "no such file or directory". */
export function isNotFound(e: unknown): boolean {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === "ENOENT";
}

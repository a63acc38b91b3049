import { randomBytes } from "node:crypto";
import { blake2bWords } from "./blake2b.js";

/**
 * Deterministic import ids, byte-for-byte Pixano 0.8's `pixano.datasets.io.ids`: an 8-character
 * namespace prefix, a dash, then base62(blake2b-128) over length-prefixed parts. Deriving ids
 * from the source identity is what makes `--mode add` an idempotent upsert and lets an export
 * re-import with equal ids.
 */

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const utf8 = new TextEncoder();

/** Scratch for {@link base62Digest}: the digest as big-endian 16-bit limbs, divided in place. */
const limbs = new Uint16Array(32);
const digits: string[] = [];

/**
 * base62 of the first `bytes` digest bytes read as one big-endian integer (Python's
 * `int.from_bytes(digest, "big")` then base62, "0" for zero): long division by 62 over 16-bit
 * limbs, which stays exact in doubles (no BigInt on the hot path).
 */
function base62Digest(words: Uint32Array, bytes: number): string {
  const byteAt = (i: number) => (words[i >> 2]! >>> (8 * (i & 3))) & 0xff;
  // An odd byte count puts the first byte alone in the top limb.
  const n = (bytes + 1) >> 1;
  for (let k = 0; k < n; k++) {
    const i = bytes - 2 * (n - k);
    limbs[k] = (i >= 0 ? byteAt(i) << 8 : 0) | byteAt(i + 1);
  }
  let first = 0;
  while (first < n && limbs[first] === 0) first++;
  if (first === n) return "0";
  digits.length = 0;
  while (first < n) {
    let rem = 0;
    for (let k = first; k < n; k++) {
      const cur = rem * 65536 + limbs[k]!;
      const q = Math.floor(cur / 62);
      limbs[k] = q;
      rem = cur - q * 62;
    }
    digits.push(BASE62[rem]!);
    while (first < n && limbs[first] === 0) first++;
  }
  return digits.reverse().join("");
}

/** The length-prefixed parts, encoded into one growing scratch buffer (no allocation per id). */
let scratch = new Uint8Array(256);

function ensure(bytes: number): void {
  if (scratch.length >= bytes) return;
  const next = new Uint8Array(Math.max(bytes, scratch.length * 2));
  next.set(scratch);
  scratch = next;
}

/** Writes `text` as UTF-8 at `at` (room already ensured); returns the byte count. ASCII is copied inline. */
function encodeAt(text: string, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Beyond ASCII, TextEncoder encodes the rest (as the whole string was encoded before).
    if (c >= 0x80) return i + utf8.encodeInto(text.slice(i), scratch.subarray(at + i)).written;
    scratch[at + i] = c;
  }
  return text.length;
}

/** Writes `text` as UTF-8 after a 4-byte big-endian length at `at`; returns the end offset. */
function writePart(text: string, at: number): number {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  ensure(at + 4 + text.length * 3);
  const written = encodeAt(text, at + 4);
  scratch[at] = written >>> 24;
  scratch[at + 1] = (written >>> 16) & 0xff;
  scratch[at + 2] = (written >>> 8) & 0xff;
  scratch[at + 3] = written & 0xff;
  return at + 4 + written;
}

/**
 * Prefixes of recent namespaces. Ids of a record's views and entities use the record's id as
 * namespace, so namespaces come and go with the records: the cache is dropped when it fills,
 * which keeps its memory bounded over any import and its hit rate within a record.
 */
const prefixCache = new Map<string, string>();
const PREFIX_CACHE_SIZE = 4096;

/** The 8-character id prefix of a namespace (Python: `namespace_prefix`). */
export function namespacePrefix(namespace: string): string {
  let p = prefixCache.get(namespace);
  if (p === undefined) {
    ensure(namespace.length * 3);
    const written = encodeAt(namespace, 0);
    p = base62Digest(blake2bWords(scratch, written, 6), 6)
      .padStart(8, "0")
      .slice(0, 8);
    if (prefixCache.size >= PREFIX_CACHE_SIZE) prefixCache.clear();
    prefixCache.set(namespace, p);
  }
  return p;
}

/** `stable_id(namespace, *parts)`: the same inputs give the same id in Pixano and here. */
export function stableId(namespace: string, ...parts: ReadonlyArray<string | number>): string {
  const prefix = namespacePrefix(namespace);
  let at = 0;
  for (const part of parts) at = writePart(typeof part === "number" ? pythonNumber(part) : part, at);
  return `${prefix}-${base62Digest(blake2bWords(scratch, at, 16), 16)}`;
}

/** `str(x)` of a Python int (ids only ever hash integers: line numbers, ordinals, frame indexes). */
function pythonNumber(n: number): string {
  if (!Number.isInteger(n)) throw new TypeError(`stableId: only integer parts are hashed, got ${n}`);
  return String(n);
}

const SHORTUUID = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** A random 22-character id in `shortuuid`'s alphabet, as Pixano gives new datasets. */
export function shortUuid(): string {
  let n = 0n;
  for (const b of randomBytes(16)) n = (n << 8n) | BigInt(b);
  let out = "";
  for (let i = 0; i < 22; i++) {
    out += SHORTUUID[Number(n % 57n)];
    n /= 57n;
  }
  return out;
}

import { randomBytes } from "node:crypto";
import { blake2b } from "./blake2b.js";

/**
 * Deterministic import ids, byte-for-byte Pixano 0.8's `pixano.datasets.io.ids`: an 8-character
 * namespace prefix, a dash, then base62(blake2b-128) over length-prefixed parts. Deriving ids
 * from the source identity is what makes `--mode add` an idempotent upsert and lets an export
 * re-import with equal ids.
 */

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const utf8 = new TextEncoder();

function base62(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (n === 0n) return "0";
  let out = "";
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out;
}

const prefixCache = new Map<string, string>();

/** The 8-character id prefix of a namespace (Python: `namespace_prefix`). */
export function namespacePrefix(namespace: string): string {
  let p = prefixCache.get(namespace);
  if (p === undefined) {
    p = base62(blake2b(utf8.encode(namespace), 6))
      .padStart(8, "0")
      .slice(0, 8);
    prefixCache.set(namespace, p);
  }
  return p;
}

/** `stable_id(namespace, *parts)`: the same inputs give the same id in Pixano and here. */
export function stableId(namespace: string, ...parts: ReadonlyArray<string | number>): string {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (const part of parts) {
    const bytes = utf8.encode(typeof part === "number" ? pythonNumber(part) : part);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, bytes.length, false);
    chunks.push(len, bytes);
    total += 4 + bytes.length;
  }
  const buf = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    buf.set(c, at);
    at += c.length;
  }
  return `${namespacePrefix(namespace)}-${base62(blake2b(buf, 16))}`;
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

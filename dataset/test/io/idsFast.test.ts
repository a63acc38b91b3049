import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { blake2b } from "../../src/io/blake2b.js";
import { namespacePrefix, stableId } from "../../src/io/ids.js";

/**
 * The import's ids after the hashing was rewritten for speed (typed arrays, no BigInt, no
 * allocation per id): still byte for byte the ids Pixano 0.8 derives. References written here
 * the plain way (BigInt base62, TextEncoder) check the fast path on many shapes of input; the
 * Pixano-computed vectors are in `ids.test.ts`.
 */
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function referenceBase62(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (n === 0n) return "0";
  let out = "";
  while (n > 0n) {
    out = BASE62[Number(n % 62n)]! + out;
    n /= 62n;
  }
  return out;
}

function referenceStableId(namespace: string, parts: ReadonlyArray<string | number>): string {
  const enc = new TextEncoder();
  const chunks = parts.flatMap((p) => {
    const bytes = enc.encode(String(p));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    return [len, Buffer.from(bytes)];
  });
  const prefix = referenceBase62(blake2b(enc.encode(namespace), 6))
    .padStart(8, "0")
    .slice(0, 8);
  return `${prefix}-${referenceBase62(blake2b(Buffer.concat(chunks), 16))}`;
}

/** Deterministic pseudo-random bytes (xorshift32). */
function bytesOf(seed: number, length: number): Uint8Array {
  let x = seed | 1;
  return Uint8Array.from({ length }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  });
}

describe("fast blake2b", () => {
  it("equals OpenSSL's BLAKE2b-512 for every input length 0..400 (block boundaries included)", () => {
    for (let len = 0; len <= 400; len++) {
      const input = bytesOf(len + 7, len);
      expect(Buffer.from(blake2b(input, 64)).toString("hex"), `length ${len}`).toBe(
        createHash("blake2b512").update(input).digest("hex"),
      );
    }
  });

  it("gives the same digest when called again (no state leaks between calls)", () => {
    const a = Buffer.from(blake2b(bytesOf(1, 300), 16)).toString("hex");
    blake2b(bytesOf(2, 5), 64);
    expect(Buffer.from(blake2b(bytesOf(1, 300), 16)).toString("hex")).toBe(a);
  });
});

describe("fast stableId", () => {
  it("equals the plain BigInt/TextEncoder derivation on ASCII, non-ASCII, empty and long parts", () => {
    const words = ["", "train", "metadata", "café ☕", "𝒳-astral", "view", "x".repeat(200), "ü".repeat(90)];
    for (let i = 0; i < 3_000; i++) {
      const ns = `${words[i % words.length]!}${i % 13 === 0 ? "" : `ns${i % 97}`}`;
      const parts: Array<string | number> = [words[(i * 7) % words.length]!, i, words[(i * 3) % words.length]!];
      const take = i % 4;
      expect(stableId(ns, ...parts.slice(0, take))).toBe(referenceStableId(ns, parts.slice(0, take)));
    }
  });

  it("keeps namespace prefixes right past the bounded prefix cache", () => {
    const first = namespacePrefix("namespace-0");
    for (let i = 1; i < 10_000; i++) namespacePrefix(`namespace-${i}`);
    expect(namespacePrefix("namespace-0")).toBe(first);
    expect(first).toBe(referenceStableId("namespace-0", []).slice(0, 8));
  });
});

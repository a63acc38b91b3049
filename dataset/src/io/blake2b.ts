/**
 * BLAKE2b (RFC 7693) with a variable digest length. Node's `crypto` only offers the fixed
 * 64-byte `blake2b512` (OpenSSL refuses another length: "not XOF or invalid length"), and the
 * digest length is part of BLAKE2b's parameter block, so a truncated 512-bit digest is not
 * Python's `hashlib.blake2b(digest_size=16)`. Pixano 0.8 derives every import id from the
 * latter, hence this implementation.
 *
 * Written for the import's hot path (two hashes per row): 64-bit words as (lo, hi) pairs in
 * module-level typed arrays, additions done in doubles with one carry test, the message schedule
 * pre-doubled, and no allocation per call ({@link blake2bWords} leaves the state in place).
 */

// Initialisation vector as (lo, hi) 32-bit pairs, little-endian word order.
const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a, 0xade682d1,
  0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

const SIGMA_ROWS = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
/** The 12 rounds' message word indexes, flattened and doubled (indexes into the (lo, hi) array). */
const SIGMA = new Uint8Array(12 * 16);
for (let r = 0; r < 12; r++) for (let i = 0; i < 16; i++) SIGMA[r * 16 + i] = SIGMA_ROWS[r % 10]![i]! * 2;

const v = new Uint32Array(32);
const m = new Uint32Array(32);
/** The chaining state after {@link blake2bWords}: the digest is its first bytes, little-endian. */
const h = new Uint32Array(16);
const tail = new Uint8Array(128);

/** The carry out of a low-word sum of up to three 32-bit words. */
function carry(lo: number): number {
  return lo >= 0x200000000 ? 2 : lo >= 0x100000000 ? 1 : 0;
}

/** One G function: v[a], v[b], v[c], v[d] (even indexes of (lo, hi) pairs) mixed with m[x], m[y]. */
function g(a: number, b: number, c: number, d: number, x: number, y: number): void {
  // a = a + b + m[x]: the sums are exact in doubles (< 2^35), the store into Uint32Array wraps them.
  let lo = v[a]! + v[b]! + m[x]!;
  v[a + 1] = v[a + 1]! + v[b + 1]! + m[x + 1]! + carry(lo);
  v[a] = lo;
  // d = rotr64(d ^ a, 32)
  let xlo = v[d]! ^ v[a]!;
  let xhi = v[d + 1]! ^ v[a + 1]!;
  v[d] = xhi;
  v[d + 1] = xlo;
  // c = c + d
  lo = v[c]! + v[d]!;
  v[c + 1] = v[c + 1]! + v[d + 1]! + (lo >= 0x100000000 ? 1 : 0);
  v[c] = lo;
  // b = rotr64(b ^ c, 24)
  xlo = v[b]! ^ v[c]!;
  xhi = v[b + 1]! ^ v[c + 1]!;
  v[b] = (xlo >>> 24) | (xhi << 8);
  v[b + 1] = (xhi >>> 24) | (xlo << 8);
  // a = a + b + m[y]
  lo = v[a]! + v[b]! + m[y]!;
  v[a + 1] = v[a + 1]! + v[b + 1]! + m[y + 1]! + carry(lo);
  v[a] = lo;
  // d = rotr64(d ^ a, 16)
  xlo = v[d]! ^ v[a]!;
  xhi = v[d + 1]! ^ v[a + 1]!;
  v[d] = (xlo >>> 16) | (xhi << 16);
  v[d + 1] = (xhi >>> 16) | (xlo << 16);
  // c = c + d
  lo = v[c]! + v[d]!;
  v[c + 1] = v[c + 1]! + v[d + 1]! + (lo >= 0x100000000 ? 1 : 0);
  v[c] = lo;
  // b = rotr64(b ^ c, 63) = rotl64(b ^ c, 1)
  xlo = v[b]! ^ v[c]!;
  xhi = v[b + 1]! ^ v[c + 1]!;
  v[b] = (xlo << 1) | (xhi >>> 31);
  v[b + 1] = (xhi << 1) | (xlo >>> 31);
}

function compress(block: Uint8Array, offset: number, counter: number, last: boolean): void {
  for (let i = 0; i < 16; i++) {
    v[i] = h[i]!;
    v[i + 16] = IV[i]!;
  }
  // The byte counter fits in 53 bits here (inputs are ids, far below 2^53 bytes).
  v[24] = v[24]! ^ counter;
  v[25] = v[25]! ^ Math.floor(counter / 0x100000000);
  if (last) {
    v[28] = ~v[28]!;
    v[29] = ~v[29]!;
  }
  for (let i = 0; i < 32; i++) {
    const p = offset + i * 4;
    m[i] = block[p]! | (block[p + 1]! << 8) | (block[p + 2]! << 16) | (block[p + 3]! << 24);
  }
  for (let r = 0; r < 12 * 16; r += 16) {
    g(0, 8, 16, 24, SIGMA[r]!, SIGMA[r + 1]!);
    g(2, 10, 18, 26, SIGMA[r + 2]!, SIGMA[r + 3]!);
    g(4, 12, 20, 28, SIGMA[r + 4]!, SIGMA[r + 5]!);
    g(6, 14, 22, 30, SIGMA[r + 6]!, SIGMA[r + 7]!);
    g(0, 10, 20, 30, SIGMA[r + 8]!, SIGMA[r + 9]!);
    g(2, 12, 22, 24, SIGMA[r + 10]!, SIGMA[r + 11]!);
    g(4, 14, 16, 26, SIGMA[r + 12]!, SIGMA[r + 13]!);
    g(6, 8, 18, 28, SIGMA[r + 14]!, SIGMA[r + 15]!);
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!;
}

function checkLength(outLength: number): void {
  if (!Number.isInteger(outLength) || outLength < 1 || outLength > 64)
    throw new RangeError("blake2b: digest length must be 1..64");
}

/**
 * Hashes `input[0, length)` and leaves the state in the returned array (shared, overwritten by
 * the next call): digest byte `i` is `(words[i >> 2] >>> (8 * (i & 3))) & 0xff`.
 */
export function blake2bWords(input: Uint8Array, length: number, outLength: number): Uint32Array {
  checkLength(outLength);
  h.set(IV);
  h[0] = h[0]! ^ 0x01010000 ^ outLength;
  let at = 0;
  // Every full block but the last is compressed in place; the last (possibly partial or empty) one is padded.
  while (length - at > 128) {
    compress(input, at, at + 128, false);
    at += 128;
  }
  tail.fill(0);
  tail.set(input.subarray(at, length));
  compress(tail, 0, length, true);
  return h;
}

/** Unkeyed BLAKE2b of `input` with a digest of `outLength` bytes (1..64). */
export function blake2b(input: Uint8Array, outLength = 64): Uint8Array {
  const words = blake2bWords(input, input.length, outLength);
  const out = new Uint8Array(outLength);
  for (let i = 0; i < outLength; i++) out[i] = (words[i >> 2]! >>> (8 * (i & 3))) & 0xff;
  return out;
}

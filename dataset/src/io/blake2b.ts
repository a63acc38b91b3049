/**
 * BLAKE2b (RFC 7693) with a variable digest length. Node's `crypto` only offers the fixed
 * 64-byte `blake2b512`, and the digest length is part of BLAKE2b's parameter block, so a
 * truncated 512-bit digest is not Python's `hashlib.blake2b(digest_size=16)`. Pixano 0.8
 * derives every import id from the latter, hence this small implementation.
 */

// Initialisation vector as (lo, hi) 32-bit pairs, little-endian word order.
const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a, 0xade682d1,
  0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

const SIGMA = [
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

const v = new Uint32Array(32);
const m = new Uint32Array(32);

/** v[a] += v[b] (64-bit, on (lo, hi) pairs at even indexes). */
function add(a: number, b: number): void {
  const lo = (v[a]! + v[b]!) >>> 0;
  const carry = lo < v[a]! ? 1 : 0;
  v[a + 1] = (v[a + 1]! + v[b + 1]! + carry) >>> 0;
  v[a] = lo;
}

/** v[a] += m[k]. */
function addMsg(a: number, k: number): void {
  const lo = (v[a]! + m[k]!) >>> 0;
  const carry = lo < v[a]! ? 1 : 0;
  v[a + 1] = (v[a + 1]! + m[k + 1]! + carry) >>> 0;
  v[a] = lo;
}

/** v[d] = rotr64(v[d] ^ v[a], n) for n in {16, 24, 32, 63}. */
function xorRot(d: number, a: number, n: number): void {
  const lo = v[d]! ^ v[a]!;
  const hi = v[d + 1]! ^ v[a + 1]!;
  if (n === 32) {
    v[d] = hi;
    v[d + 1] = lo;
  } else if (n < 32) {
    v[d] = ((lo >>> n) | (hi << (32 - n))) >>> 0;
    v[d + 1] = ((hi >>> n) | (lo << (32 - n))) >>> 0;
  } else {
    const s = n - 32;
    v[d] = ((hi >>> s) | (lo << (32 - s))) >>> 0;
    v[d + 1] = ((lo >>> s) | (hi << (32 - s))) >>> 0;
  }
}

function mix(a: number, b: number, c: number, d: number, x: number, y: number): void {
  add(a, b);
  addMsg(a, x);
  xorRot(d, a, 32);
  add(c, d);
  xorRot(b, c, 24);
  add(a, b);
  addMsg(a, y);
  xorRot(d, a, 16);
  add(c, d);
  xorRot(b, c, 63);
}

function compress(h: Uint32Array, block: Uint8Array, offset: number, counter: number, last: boolean): void {
  for (let i = 0; i < 16; i++) {
    v[i] = h[i]!;
    v[i + 16] = IV[i]!;
  }
  // The byte counter fits in 53 bits here (inputs are ids, far below 2^53 bytes).
  v[24] = (v[24]! ^ counter) >>> 0;
  v[25] = (v[25]! ^ Math.floor(counter / 0x100000000)) >>> 0;
  if (last) {
    v[28] = ~v[28]! >>> 0;
    v[29] = ~v[29]! >>> 0;
  }
  for (let i = 0; i < 32; i++) {
    const p = offset + i * 4;
    m[i] = (block[p]! | (block[p + 1]! << 8) | (block[p + 2]! << 16) | (block[p + 3]! << 24)) >>> 0;
  }
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r % 10]!;
    mix(0, 8, 16, 24, s[0]! * 2, s[1]! * 2);
    mix(2, 10, 18, 26, s[2]! * 2, s[3]! * 2);
    mix(4, 12, 20, 28, s[4]! * 2, s[5]! * 2);
    mix(6, 14, 22, 30, s[6]! * 2, s[7]! * 2);
    mix(0, 10, 20, 30, s[8]! * 2, s[9]! * 2);
    mix(2, 12, 22, 24, s[10]! * 2, s[11]! * 2);
    mix(4, 14, 16, 26, s[12]! * 2, s[13]! * 2);
    mix(6, 8, 18, 28, s[14]! * 2, s[15]! * 2);
  }
  for (let i = 0; i < 16; i++) h[i] = (h[i]! ^ v[i]! ^ v[i + 16]!) >>> 0;
}

/** Unkeyed BLAKE2b of `input` with a digest of `outLength` bytes (1..64). */
export function blake2b(input: Uint8Array, outLength = 64): Uint8Array {
  if (!Number.isInteger(outLength) || outLength < 1 || outLength > 64)
    throw new RangeError("blake2b: digest length must be 1..64");
  const h = new Uint32Array(IV);
  h[0] = (h[0]! ^ 0x01010000 ^ outLength) >>> 0;
  const blocks = Math.max(1, Math.ceil(input.length / 128));
  const padded = new Uint8Array(blocks * 128);
  padded.set(input);
  for (let b = 0; b < blocks; b++) {
    const last = b === blocks - 1;
    const counter = last ? input.length : (b + 1) * 128;
    compress(h, padded, b * 128, counter, last);
  }
  const out = new Uint8Array(outLength);
  for (let i = 0; i < outLength; i++) out[i] = (h[i >> 2]! >>> (8 * (i & 3))) & 0xff;
  return out;
}

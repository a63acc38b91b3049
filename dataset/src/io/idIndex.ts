/**
 * A compact set of the ids an import has seen, per table: a 64-bit hash of each id in an
 * open-addressing table of typed arrays (16 bytes per id at most, half full), instead of a
 * `Map<string, location>` (≈ 250 bytes per id: 2.2 million rows of a 100,000-record import held
 * ≈ 550 MB). Answers "maybe seen" (same hash) or "certainly new": the importer confirms a maybe
 * against the exact ids (the current batch's, or the source read again) before refusing a row,
 * so a hash collision never refuses a valid import.
 */
export class IdIndex {
  /** (h1, h2) per slot; h1 = 0 marks an empty slot (hashes are forced non-zero). */
  private keys: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialSlots = 1024) {
    let slots = 16;
    while (slots < initialSlots) slots *= 2;
    this.keys = new Uint32Array(slots * 2);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the table (tests check the memory stays small). */
  get bytes(): number {
    return this.keys.byteLength;
  }

  /** Adds `id`; true if an id with the same 64-bit hash was already there (a duplicate, almost surely). */
  add(id: string): boolean {
    hash(id);
    const seen = this.find(h1, h2);
    if (this.count + 1 > (this.mask + 1) / 2) this.grow();
    this.insert(h1, h2);
    return seen;
  }

  /** True if an id with the same 64-bit hash was added: `id` was seen, almost surely; false: certainly not. */
  has(id: string): boolean {
    hash(id);
    return this.find(h1, h2);
  }

  private find(a: number, b: number): boolean {
    const keys = this.keys;
    for (let slot = a & this.mask; ; slot = (slot + 1) & this.mask) {
      const k = keys[slot * 2]!;
      if (k === 0) return false;
      if (k === a && keys[slot * 2 + 1] === b) return true;
    }
  }

  private insert(a: number, b: number): void {
    const keys = this.keys;
    let slot = a & this.mask;
    while (keys[slot * 2] !== 0) slot = (slot + 1) & this.mask;
    keys[slot * 2] = a;
    keys[slot * 2 + 1] = b;
    this.count++;
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Uint32Array(old.length * 2);
    this.mask = old.length - 1; // old.length = 2 × old slots = new slots
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.insert(old[i]!, old[i + 1]!);
  }
}

// The last hash, as two 32-bit halves (module state: no allocation per id).
let h1 = 0;
let h2 = 0;

/** Two independent 32-bit hashes of the UTF-16 code units (FNV-1a and a multiply-xorshift), finalised. */
function hash(s: string): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  h1 = fmix(a) || 1;
  h2 = fmix(b ^ 0x2545f491) >>> 0;
}

/** MurmurHash3's 32-bit finaliser (full avalanche). */
function fmix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

import { GeometryError } from "../../src/geometry/index.js";
import { mulberry32 } from "../../src/random.js";

/**
 * Seeded randomness for the geometry property tests: mulberry32, so every run (and every
 * failure) is reproducible from its seed. Tests never use Math.random.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] inclusive. */
  int(min: number, max: number): number;
}

export function makeRng(seed: number): Rng {
  const next = mulberry32(seed);
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

/**
 * A random row-major 0/1 mask. `density` is the chance a pixel is on; `runny` masks copy the
 * previous pixel most of the time, giving long runs like real masks rather than pure noise.
 */
export function randomMask(rng: Rng, height: number, width: number, density: number, runny = false): Uint8Array {
  const mask = new Uint8Array(height * width);
  for (let i = 0; i < mask.length; i += 1) {
    const prev = i > 0 ? (mask[i - 1] ?? 0) : 0;
    mask[i] = runny && rng.next() < 0.9 ? prev : rng.next() < density ? 1 : 0;
  }
  return mask;
}

/**
 * Index of the first differing byte of two masks, -1 when equal (a length mismatch differs at
 * the shorter length). Much faster than a deep `toEqual` on multi-megapixel arrays, and the
 * index makes a failure readable.
 */
export function firstMismatch(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** The `reason` of the GeometryError `fn` throws, undefined if it returns; rethrows anything else. */
export function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof GeometryError) return error.reason;
    throw error;
  }
  return undefined;
}

import { mulberry32 } from "../../src/random.js";

/** The fuzzer's draws (exclusive-bound ints, ids) over shared-crdt's seeded PRNG, so every run replays from its seed. */
export class RandomSource {
  private readonly draw: () => number;
  constructor(readonly seed: number) {
    this.draw = mulberry32(seed);
  }
  next(): number {
    return this.draw();
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.int(items.length)];
  }
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
  id(prefix: string): string {
    return `${prefix}${this.int(1e9).toString(36)}`;
  }
}

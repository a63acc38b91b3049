/**
 * A uniform grid over world space indexing item bounds by dense integer slots. It answers the two
 * questions the canvas asks thousands of times: which items intersect the viewport (culling) and
 * which lie under the pointer (hit testing) — instead of Pixi's per-object hit testing. Queries
 * write into a caller-owned array and allocate nothing.
 */
export class SpatialGrid {
  private readonly cols: number;
  private readonly rows: number;
  private readonly cells: number[][];
  /** Items spanning more than {@link MAX_CELLS} cells are checked on every query instead. */
  private readonly big = new Set<number>();
  private bounds = new Float64Array(0);
  private ranges = new Int32Array(0);
  private present = new Uint8Array(0);
  private seen = new Uint32Array(0);
  private stamp = 0;
  private count = 0;

  static readonly MAX_CELLS = 256;

  constructor(
    private readonly originX: number,
    private readonly originY: number,
    width: number,
    height: number,
    readonly cellSize: number,
  ) {
    this.cols = Math.max(1, Math.ceil(width / cellSize));
    this.rows = Math.max(1, Math.ceil(height / cellSize));
    this.cells = Array.from({ length: this.cols * this.rows }, () => []);
  }

  /** A grid sized for a world extent: cells of ~`target` items if items are spread evenly. */
  static forExtent(minX: number, minY: number, maxX: number, maxY: number, expectedItems: number): SpatialGrid {
    const w = Math.max(1, maxX - minX);
    const h = Math.max(1, maxY - minY);
    const cell = Math.max(16, Math.sqrt((w * h) / Math.max(256, expectedItems / 4)));
    return new SpatialGrid(minX, minY, w, h, cell);
  }

  get size(): number {
    return this.count;
  }

  has(slot: number): boolean {
    return this.present[slot] === 1;
  }

  private grow(slot: number): void {
    if (slot < this.present.length) return;
    const cap = Math.max(64, slot + 1, this.present.length * 2);
    const b = new Float64Array(cap * 4);
    b.set(this.bounds);
    this.bounds = b;
    const r = new Int32Array(cap * 4);
    r.set(this.ranges);
    this.ranges = r;
    const p = new Uint8Array(cap);
    p.set(this.present);
    this.present = p;
    const s = new Uint32Array(cap);
    s.set(this.seen);
    this.seen = s;
  }

  private col(x: number): number {
    const c = Math.floor((x - this.originX) / this.cellSize);
    return c < 0 ? 0 : c >= this.cols ? this.cols - 1 : c;
  }

  private row(y: number): number {
    const r = Math.floor((y - this.originY) / this.cellSize);
    return r < 0 ? 0 : r >= this.rows ? this.rows - 1 : r;
  }

  /** Adds or moves an item. */
  set(slot: number, minX: number, minY: number, maxX: number, maxY: number): void {
    if (this.present[slot] === 1) this.remove(slot);
    this.grow(slot);
    const b = slot * 4;
    this.bounds[b] = minX;
    this.bounds[b + 1] = minY;
    this.bounds[b + 2] = maxX;
    this.bounds[b + 3] = maxY;
    const c0 = this.col(minX);
    const r0 = this.row(minY);
    const c1 = this.col(maxX);
    const r1 = this.row(maxY);
    this.ranges[b] = c0;
    this.ranges[b + 1] = r0;
    this.ranges[b + 2] = c1;
    this.ranges[b + 3] = r1;
    this.present[slot] = 1;
    this.count++;
    if ((c1 - c0 + 1) * (r1 - r0 + 1) > SpatialGrid.MAX_CELLS) {
      this.big.add(slot);
      return;
    }
    for (let r = r0; r <= r1; r++)
      for (let c = c0; c <= c1; c++) (this.cells[r * this.cols + c] as number[]).push(slot);
  }

  remove(slot: number): void {
    if (this.present[slot] !== 1) return;
    this.present[slot] = 0;
    this.count--;
    if (this.big.delete(slot)) return;
    const b = slot * 4;
    for (let r = this.ranges[b + 1] as number; r <= (this.ranges[b + 3] as number); r++) {
      for (let c = this.ranges[b] as number; c <= (this.ranges[b + 2] as number); c++) {
        const cell = this.cells[r * this.cols + c] as number[];
        const i = cell.indexOf(slot);
        if (i >= 0) {
          cell[i] = cell[cell.length - 1] as number;
          cell.pop();
        }
      }
    }
  }

  /** Bounds of an indexed item, written into `out`. */
  boundsOf(slot: number, out: number[]): number[] {
    const b = slot * 4;
    out[0] = this.bounds[b] as number;
    out[1] = this.bounds[b + 1] as number;
    out[2] = this.bounds[b + 2] as number;
    out[3] = this.bounds[b + 3] as number;
    return out;
  }

  /** Slots whose bounds intersect the rectangle, appended to `out` (cleared first). */
  query(minX: number, minY: number, maxX: number, maxY: number, out: number[]): number[] {
    out.length = 0;
    const stamp = ++this.stamp;
    const bounds = this.bounds;
    const seen = this.seen;
    const c0 = this.col(minX);
    const c1 = this.col(maxX);
    const r0 = this.row(minY);
    const r1 = this.row(maxY);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = this.cells[r * this.cols + c] as number[];
        for (let i = 0; i < cell.length; i++) {
          const s = cell[i] as number;
          if (seen[s] === stamp) continue;
          seen[s] = stamp;
          const b = s * 4;
          if (
            (bounds[b] as number) <= maxX &&
            (bounds[b + 2] as number) >= minX &&
            (bounds[b + 1] as number) <= maxY &&
            (bounds[b + 3] as number) >= minY
          )
            out.push(s);
        }
      }
    }
    for (const s of this.big) {
      const b = s * 4;
      if (
        (bounds[b] as number) <= maxX &&
        (bounds[b + 2] as number) >= minX &&
        (bounds[b + 1] as number) <= maxY &&
        (bounds[b + 3] as number) >= minY
      )
        out.push(s);
    }
    return out;
  }
}

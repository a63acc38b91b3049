import { Container } from "pixi.js";
import type { SceneItem } from "../scene/SceneModel.js";
import type { AnnotationLayers, AnnotationView, ViewEnv } from "./views/AnnotationView.js";

/**
 * Spatial buckets for culling. Each annotation view lives in the bucket of its centre: one small
 * container per layer (masks, fills, strokes, points) inside the layer's global container, so
 * Pixi still batches each layer whole. Culling toggles a few dozen bucket containers instead of
 * thousands of views, and Pixi skips hidden buckets without visiting their shapes.
 */
export interface Bucket {
  readonly id: number;
  readonly env: ViewEnv;
  readonly containers: readonly Container[];
  readonly views: Set<AnnotationView>;
  /** Union of its shapes' world bounds (grows; a conservative culling box). */
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  shown: boolean;
}

export class BucketGrid {
  private readonly buckets = new Map<number, Bucket>();
  private readonly cols: number;

  constructor(
    private readonly layers: AnnotationLayers,
    private readonly base: Omit<ViewEnv, "layers">,
    private readonly originX: number,
    private readonly originY: number,
    width: number,
    readonly size: number,
  ) {
    this.cols = Math.max(1, Math.ceil(width / size) + 2);
  }

  /** Bucket side for a world extent: about 16 × 16 buckets over it, at least 64 world px. */
  static sizeFor(width: number, height: number): number {
    return Math.max(64, Math.sqrt((width * height) / 256));
  }

  keyOf(item: SceneItem): number {
    const c = Math.floor(((item.minX + item.maxX) / 2 - this.originX) / this.size) + 1;
    const r = Math.floor(((item.minY + item.maxY) / 2 - this.originY) / this.size) + 1;
    return Math.max(0, r) * this.cols + Math.min(this.cols - 1, Math.max(0, c));
  }

  get(id: number): Bucket | undefined {
    return this.buckets.get(id);
  }

  /** The bucket for an item, created (hidden until culling shows it) when missing. */
  bucketFor(item: SceneItem): Bucket {
    const id = this.keyOf(item);
    let b = this.buckets.get(id);
    if (!b) {
      const masks = new Container();
      const fills = new Container();
      const strokes = new Container();
      const points = new Container();
      this.layers.masks.addChild(masks);
      this.layers.fills.addChild(fills);
      this.layers.strokes.addChild(strokes);
      this.layers.points.addChild(points);
      const containers = [masks, fills, strokes, points];
      for (const c of containers) c.visible = false;
      b = {
        id,
        env: { ...this.base, layers: { masks, fills, strokes, points } },
        containers,
        views: new Set(),
        minX: item.minX,
        minY: item.minY,
        maxX: item.maxX,
        maxY: item.maxY,
        shown: false,
      };
      this.buckets.set(id, b);
    }
    return b;
  }

  /** Grows a bucket's box to hold an item. */
  include(b: Bucket, item: SceneItem): void {
    if (item.minX < b.minX) b.minX = item.minX;
    if (item.minY < b.minY) b.minY = item.minY;
    if (item.maxX > b.maxX) b.maxX = item.maxX;
    if (item.maxY > b.maxY) b.maxY = item.maxY;
  }

  setShown(b: Bucket, shown: boolean): void {
    if (b.shown === shown) return;
    b.shown = shown;
    for (const c of b.containers) c.visible = shown;
  }

  all(): IterableIterator<Bucket> {
    return this.buckets.values();
  }
}

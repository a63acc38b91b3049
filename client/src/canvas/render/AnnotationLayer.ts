import { Container } from "pixi.js";
import type { KeypointTemplate } from "../types.js";
import type { SceneChange, SceneItem, SceneModel, SceneSink } from "../scene/SceneModel.js";
import { STYLE, zoomBucket } from "./style.js";
import { tilesBounds } from "../scene/layout.js";
import { BucketGrid, type Bucket } from "./BucketGrid.js";
import type { AnnotationLayers, AnnotationView, ViewEnv, ViewStyle } from "./views/AnnotationView.js";
import { kindOfShape } from "../../kinds/registry.js";

/**
 * The retained annotation scene: `Map<rowKey, AnnotationView>`, fed by the scene model's diffs
 * (create/update/destroy) and never rebuilt per frame. New views are built in time slices so the
 * image shows first and the page stays responsive while 10k shapes load. Views live in spatial
 * buckets ({@link BucketGrid}); culling shows the buckets meeting the view (plus a small margin)
 * and costs a pass over a few hundred buckets per camera move, never one over the shapes. Views in
 * hidden buckets are redrawn lazily when their bucket comes back.
 */
export interface AnnotationLayerOptions {
  readonly scene: SceneModel;
  readonly colorOf: (entityId: string) => number;
  readonly templates: readonly KeypointTemplate[];
  /** Faint fills under boxes and polygons. */
  readonly fill: boolean;
  readonly now: () => number;
}

/** Below this many shapes on screen drawing them directly is cheap enough: no cached texture. */
const CACHE_MIN_VIEWS = 400;
/**
 * The cached texture may hold at most this many texels, and at most this many screens' worth:
 * re-rendering a texture much larger than the screen costs more than drawing the shapes.
 */
const CACHE_MAX_TEXELS = 2048 * 2048;
const CACHE_MAX_SCREENS = 1.5;
const MAX_TEXTURE_SIDE = 4096;
/** Buckets within this fraction of the view's size around it stay shown (no flicker at edges). */
const CULL_MARGIN = 0.1;

interface Entry {
  readonly view: AnnotationView;
  readonly bucket: Bucket;
}

export class AnnotationLayer implements SceneSink {
  readonly root = new Container({ label: "annotations" });
  private readonly layers: AnnotationLayers;
  private readonly grid: BucketGrid;
  private readonly entries = new Map<string, Entry>();
  private readonly queue = new Map<string, SceneItem>();
  /** Objects the kinds' views share (a kind's texture cache), one per constructor. */
  private readonly shared = new Map<abstract new () => { destroy(): void }, { destroy(): void }>();
  private cull: [number, number, number, number] = [-Infinity, -Infinity, Infinity, Infinity];
  private zoom = 1;
  /** Views in shown buckets, and the union of those buckets' boxes (what a cache must hold). */
  private shownViews = 0;
  private readonly shownBox: [number, number, number, number] = [0, 0, 0, 0];
  private shownBoxDirty = true;
  /** Resolution of the cached texture of the shown shapes, or null when they are drawn directly. */
  private cacheRes: number | null = null;
  private contentDirty = false;
  /** See {@link CACHE_MIN_VIEWS}; an instance field so experiments can move the threshold. */
  cacheMinViews = CACHE_MIN_VIEWS;
  private readonly templates: Map<string, KeypointTemplate>;
  private readonly worldBounds: readonly [number, number, number, number];

  constructor(private readonly options: AnnotationLayerOptions) {
    this.layers = {
      masks: new Container({ label: "masks" }),
      fills: new Container({ label: "fills" }),
      strokes: new Container({ label: "strokes" }),
      points: new Container({ label: "points" }),
    };
    this.root.addChild(this.layers.masks, this.layers.fills, this.layers.strokes, this.layers.points);
    for (const l of Object.values(this.layers)) {
      l.interactiveChildren = false;
      l.eventMode = "none";
    }
    this.templates = new Map(options.templates.map((t) => [t.id, t]));
    this.worldBounds = tilesBounds(options.scene.tiles);
    const [x0, y0, x1, y1] = this.worldBounds;
    this.grid = new BucketGrid(
      this.layers,
      { fill: options.fill, template: (id) => this.templates.get(id), shared: (ctor) => this.sharedOf(ctor) },
      x0,
      y0,
      x1 - x0,
      BucketGrid.sizeFor(x1 - x0, y1 - y0),
    );
  }

  /** Views still waiting to be built. */
  get pending(): number {
    return this.queue.size;
  }

  get count(): number {
    return this.entries.size;
  }

  view(key: string): AnnotationView | undefined {
    return this.entries.get(key)?.view;
  }

  create(item: SceneItem): void {
    this.queue.set(item.key, item);
  }

  update(item: SceneItem, change: SceneChange): void {
    const e = this.entries.get(item.key);
    if (!e) return;
    this.contentDirty = true;
    if (change.geometry && this.grid.keyOf(item) !== e.bucket.id) {
      // The shape moved to another bucket: rebuild its view there.
      this.remove(item.key, e);
      this.add(item);
      return;
    }
    if (change.geometry) {
      this.grid.include(e.bucket, item);
      this.showIfVisible(e.bucket);
      if (e.bucket.shown) e.view.redraw(this.zoom);
      else e.view.drawnZoom = 0;
    }
    if (change.style) e.view.restyle(this.styleOf(item));
    e.view.setVisible(!this.options.scene.isHidden(item));
  }

  destroy(item: SceneItem): void {
    this.queue.delete(item.key);
    const e = this.entries.get(item.key);
    if (!e) return;
    this.contentDirty = true;
    this.remove(item.key, e);
  }

  private remove(key: string, e: Entry): void {
    e.bucket.views.delete(e.view);
    if (e.bucket.shown) this.shownViews--;
    e.view.destroy();
    this.entries.delete(key);
  }

  private add(item: SceneItem): void {
    const bucket = this.grid.bucketFor(item);
    this.grid.include(bucket, item);
    const view = this.makeView(item, bucket.env);
    if (!view) return;
    bucket.views.add(view);
    this.entries.set(item.key, { view, bucket });
    if (bucket.shown) this.shownViews++;
    this.showIfVisible(bucket);
    if (bucket.shown) view.redraw(this.zoom);
    view.restyle(this.styleOf(item));
    view.setVisible(!this.options.scene.isHidden(item));
  }

  /** Restyles every view (palette or hidden/locked sets changed outside the document). */
  restyleAll(): void {
    this.contentDirty = true;
    for (const { view } of this.entries.values()) {
      view.restyle(this.styleOf(view.item));
      view.setVisible(!this.options.scene.isHidden(view.item));
    }
  }

  /** Builds queued views for up to `budgetMs`; returns how many remain. */
  build(budgetMs: number): number {
    const start = this.options.now();
    let n = 0;
    if (this.queue.size > 0) this.contentDirty = true;
    for (const [key, item] of this.queue) {
      this.queue.delete(key);
      this.add(item);
      // Checking the clock every 64 views keeps its cost out of the loop.
      if (++n % 64 === 0 && this.options.now() - start >= budgetMs) break;
    }
    return this.queue.size;
  }

  /**
   * Shows the buckets meeting the visible world rectangle (enlarged by {@link CULL_MARGIN}) and
   * hides the others; redraws what a shown bucket holds when it is stale or its zoom step changed.
   */
  setViewport(minX: number, minY: number, maxX: number, maxY: number, zoom: number): void {
    const bucket = zoomBucket(zoom);
    const zoomChanged = bucket !== this.zoom;
    this.zoom = bucket;
    const mx = (maxX - minX) * CULL_MARGIN;
    const my = (maxY - minY) * CULL_MARGIN;
    this.cull = [minX - mx, minY - my, maxX + mx, maxY + my];
    for (const b of this.grid.all()) {
      const was = b.shown;
      this.showIfVisible(b);
      if (b.shown && (zoomChanged || !was)) this.refresh(b, !was);
    }
  }

  private showIfVisible(b: Bucket): void {
    const [a, c, d, e] = this.cull;
    const visible = b.maxX >= a && b.minX <= d && b.maxY >= c && b.minY <= e;
    if (visible === b.shown) return;
    this.grid.setShown(b, visible);
    this.shownViews += visible ? b.views.size : -b.views.size;
    this.contentDirty = true;
    this.shownBoxDirty = true;
  }

  /** Redraws a shown bucket's stale views (and, on a zoom step, its zoom-dependent ones). */
  private refresh(b: Bucket, appeared: boolean): void {
    for (const v of b.views) {
      if (v.drawnZoom === 0 || (v.zoomDependent && v.drawnZoom !== this.zoom)) {
        v.redraw(this.zoom);
        this.contentDirty = true;
      }
    }
    if (appeared) this.contentDirty = true;
  }

  private updateShownBox(): void {
    if (!this.shownBoxDirty) return;
    this.shownBoxDirty = false;
    const box = this.shownBox;
    box[0] = Infinity;
    box[1] = Infinity;
    box[2] = -Infinity;
    box[3] = -Infinity;
    for (const b of this.grid.all()) {
      if (!b.shown || b.views.size === 0) continue;
      if (b.minX < box[0]) box[0] = b.minX;
      if (b.minY < box[1]) box[1] = b.minY;
      if (b.maxX > box[2]) box[2] = b.maxX;
      if (b.maxY > box[3]) box[3] = b.maxY;
    }
  }

  /**
   * Chooses, once per frame, between drawing the shown shapes directly and drawing one cached
   * texture of them. With thousands of shapes on screen a software rasteriser spends its frame on
   * their vertices, while the texture costs one quad however many shapes it holds. The texture is
   * re-rendered when shapes change or buckets come and go, and at the new resolution once a zoom
   * settles (`moving` false) or drifts more than 2×. Few shapes, or an area too large for one
   * texture, are drawn directly.
   */
  updateCache(zoom: number, resolution: number, screenTexels: number, moving: boolean): void {
    const res = zoom * resolution;
    this.updateShownBox();
    const [wx0, wy0, wx1, wy1] = this.worldBounds;
    const [bx0, by0, bx1, by1] = this.shownBox;
    const w = Math.max(0, Math.min(wx1, bx1) - Math.max(wx0, bx0)) * res;
    const h = Math.max(0, Math.min(wy1, by1) - Math.max(wy0, by0)) * res;
    const fits =
      w * h <= Math.min(CACHE_MAX_TEXELS, CACHE_MAX_SCREENS * screenTexels) &&
      w <= MAX_TEXTURE_SIDE &&
      h <= MAX_TEXTURE_SIDE;
    const want = fits && this.shownViews >= this.cacheMinViews;
    if (!want) {
      if (this.cacheRes !== null) {
        this.cacheRes = null;
        this.root.cacheAsTexture(false);
      }
      this.contentDirty = false;
      return;
    }
    const drift = this.cacheRes === null ? Infinity : Math.abs(Math.log2(res / this.cacheRes));
    if (this.cacheRes === null || (!moving && drift > 0.2) || drift > 1) this.enableCache(res);
    else if (this.contentDirty) {
      this.contentDirty = false;
      this.root.updateCacheTexture();
    }
  }

  get cached(): boolean {
    return this.cacheRes !== null;
  }

  private enableCache(res: number): void {
    if (this.cacheRes !== null) this.root.cacheAsTexture(false);
    this.cacheRes = res;
    this.contentDirty = false;
    this.root.cacheAsTexture({ resolution: res, antialias: false });
  }

  styleOf(item: SceneItem): ViewStyle {
    return {
      color: this.options.colorOf(item.entityId),
      // A track's interpolated shape is drawn dashed by the overlay, not here.
      alpha: item.synthetic
        ? 0
        : this.options.scene.isEntityLocked(item.entityId)
          ? STYLE.lockedAlpha
          : this.options.scene.isProposal(item.entityId)
            ? STYLE.proposalAlpha
            : 1,
    };
  }

  /** Whether a row's view is built, in a shown bucket and not hidden (used by the label layer). */
  isShown(item: SceneItem): boolean {
    const e = this.entries.get(item.key);
    return !!e && e.bucket.shown && !this.options.scene.isHidden(item);
  }

  private sharedOf<T extends { destroy(): void }>(ctor: new () => T): T {
    const got = this.shared.get(ctor);
    if (got instanceof ctor) return got;
    const made = new ctor();
    this.shared.set(ctor, made);
    return made;
  }

  /** The view of a row by its kind; null (logged once by the registry) for a kind without one. */
  private makeView(item: SceneItem, env: ViewEnv): AnnotationView | null {
    return kindOfShape(item.shape)?.createView(item, env) ?? null;
  }

  /** Releases every view, texture and container. */
  dispose(): void {
    for (const { view } of this.entries.values()) view.destroy();
    this.entries.clear();
    this.queue.clear();
    for (const s of this.shared.values()) s.destroy();
    this.shared.clear();
    this.root.destroy({ children: true });
  }
}

import { Container } from "pixi.js";
import type { KeypointTemplate } from "../types.js";
import type { SceneChange, SceneItem, SceneModel, SceneSink } from "../scene/SceneModel.js";
import { STYLE, zoomBucket } from "./style.js";
import { tilesBounds } from "../scene/layout.js";
import type { AnnotationLayers, AnnotationView, ViewEnv, ViewStyle } from "./views/AnnotationView.js";
import { BoxView } from "./views/BoxView.js";
import { KeypointsView } from "./views/KeypointsView.js";
import { MaskTextureCache, MaskView } from "./views/MaskView.js";
import { PathView } from "./views/PathView.js";

/**
 * The retained annotation scene: `Map<rowKey, AnnotationView>`, fed by the scene model's diffs
 * (create/update/destroy) and never rebuilt per frame. New views are built in time slices so the
 * image shows first and the page stays responsive while 10k shapes load. Culling hides views
 * outside an enlarged viewport (queried from the spatial grid) and is recomputed only when the
 * viewport leaves that area, so panning costs nothing per frame.
 */
export interface AnnotationLayerOptions {
  readonly scene: SceneModel;
  readonly colorOf: (entityId: string) => number;
  readonly templates: readonly KeypointTemplate[];
  /** Faint fills under boxes and polygons. */
  readonly fill: boolean;
  readonly now: () => number;
}

/** Below this many shapes drawing them directly is cheap enough: no cached texture. */
export const CACHE_MIN_VIEWS = 1500;
/**
 * The cached texture may hold at most this many texels, and at most this many screens' worth:
 * re-rendering a texture much larger than the screen costs more than drawing the shapes.
 */
export const CACHE_MAX_TEXELS = 2048 * 2048;
export const CACHE_MAX_SCREENS = 1.5;
const MAX_TEXTURE_SIDE = 4096;
/** The culled area is the view enlarged by this fraction of its size on each side. */
const CULL_MARGIN = 0.35;

export class AnnotationLayer implements SceneSink {
  readonly root = new Container({ label: "annotations" });
  private readonly layers: AnnotationLayers;
  private readonly env: ViewEnv;
  private readonly views = new Map<string, AnnotationView>();
  private readonly queue = new Map<string, SceneItem>();
  private readonly masks = new MaskTextureCache();
  private readonly culled = new Set<string>();
  private cull: [number, number, number, number] = [-Infinity, -Infinity, Infinity, Infinity];
  private zoom = 1;
  private readonly slots: number[] = [];
  /** Resolution of the cached texture of all shapes, or null when they are drawn directly. */
  private cacheRes: number | null = null;
  private contentDirty = false;
  /** See {@link CACHE_MIN_VIEWS}; an instance field so experiments can move the threshold. */
  cacheMinViews = CACHE_MIN_VIEWS;
  private readonly templates: Map<string, KeypointTemplate>;

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
    this.env = { layers: this.layers, fill: options.fill, template: (id) => this.templates.get(id) };
  }

  /** Views still waiting to be built. */
  get pending(): number {
    return this.queue.size;
  }

  get count(): number {
    return this.views.size;
  }

  view(key: string): AnnotationView | undefined {
    return this.views.get(key);
  }

  create(item: SceneItem): void {
    this.queue.set(item.key, item);
  }

  update(item: SceneItem, change: SceneChange): void {
    const v = this.views.get(item.key);
    if (!v) return;
    this.contentDirty = true;
    if (change.geometry) {
      if (this.inCull(item)) this.culled.delete(item.key);
      else this.culled.add(item.key);
      if (this.culled.has(item.key)) v.drawnZoom = 0;
      else v.redraw(this.zoom);
    }
    if (change.style) v.restyle(this.styleOf(item));
    this.applyVisibility(v);
  }

  destroy(item: SceneItem): void {
    this.queue.delete(item.key);
    const v = this.views.get(item.key);
    if (!v) return;
    this.contentDirty = true;
    v.destroy();
    this.views.delete(item.key);
    this.culled.delete(item.key);
  }

  /** Restyles every view (palette or hidden/locked sets changed outside the document). */
  restyleAll(): void {
    this.contentDirty = true;
    for (const v of this.views.values()) {
      v.restyle(this.styleOf(v.item));
      this.applyVisibility(v);
    }
  }

  /** Builds queued views for up to `budgetMs`; returns how many remain. */
  build(budgetMs: number): number {
    const start = this.options.now();
    let n = 0;
    if (this.queue.size > 0) this.contentDirty = true;
    for (const [key, item] of this.queue) {
      this.queue.delete(key);
      const v = this.makeView(item);
      this.views.set(key, v);
      if (!this.inCull(item)) this.culled.add(key);
      if (!this.culled.has(key)) v.redraw(this.zoom);
      v.restyle(this.styleOf(item));
      this.applyVisibility(v);
      // Checking the clock every 64 views keeps its cost out of the loop.
      if (++n % 64 === 0 && this.options.now() - start >= budgetMs) break;
    }
    return this.queue.size;
  }

  /**
   * Updates culling and zoom-dependent details for the visible world rectangle. Cheap when the
   * rectangle stays inside the last culled area (the view enlarged by half its size on each side)
   * and the zoom step is unchanged.
   */
  setViewport(minX: number, minY: number, maxX: number, maxY: number, zoom: number): void {
    const bucket = zoomBucket(zoom);
    const zoomChanged = bucket !== this.zoom;
    this.zoom = bucket;
    const [cx0, cy0, cx1, cy1] = this.cull;
    const area = (maxX - minX) * (maxY - minY);
    const cullArea = (cx1 - cx0) * (cy1 - cy0);
    const outside = minX < cx0 || minY < cy0 || maxX > cx1 || maxY > cy1;
    // Zoomed in far past the culled area: recull to drop what is now far off screen.
    const tooLoose = !Number.isFinite(cullArea) || area * 16 < cullArea;
    if (outside || tooLoose) this.recull(minX, minY, maxX, maxY, CULL_MARGIN);
    else if (zoomChanged) this.refreshZoomDependent();
  }

  /**
   * Chooses, once per frame, between drawing the shapes in the culled area directly and drawing
   * one cached texture of them. With thousands of shapes on screen a software rasteriser spends
   * its frame on their vertices, while the texture costs one quad however many shapes it holds.
   * The texture covers the culled area (the whole image when zoomed out), is re-rendered when
   * shapes change or culling moves, and at the new resolution once a zoom settles (`moving`
   * false) or drifts more than 2×. Few shapes, or an area too large for one texture, are drawn
   * directly.
   */
  updateCache(zoom: number, resolution: number, screenTexels: number, moving: boolean): void {
    const res = zoom * resolution;
    const [wx0, wy0, wx1, wy1] = tilesBounds(this.options.scene.tiles);
    const [cx0, cy0, cx1, cy1] = this.cull;
    const w = (Math.min(wx1, cx1) - Math.max(wx0, cx0)) * res;
    const h = (Math.min(wy1, cy1) - Math.max(wy0, cy0)) * res;
    const fits = w * h <= Math.min(CACHE_MAX_TEXELS, CACHE_MAX_SCREENS * screenTexels) && w <= MAX_TEXTURE_SIDE && h <= MAX_TEXTURE_SIDE;
    const want = fits && this.views.size - this.culled.size >= this.cacheMinViews;
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

  private recull(minX: number, minY: number, maxX: number, maxY: number, margin: number): void {
    this.contentDirty = true;
    const mx = (maxX - minX) * margin;
    const my = (maxY - minY) * margin;
    this.cull = [minX - mx, minY - my, maxX + mx, maxY + my];
    const inside = new Set<string>();
    const [a, b, c, d] = this.cull;
    for (const slot of this.options.scene.query(a, b, c, d, this.slots)) {
      const item = this.options.scene.bySlotIndex(slot);
      if (item) inside.add(item.key);
    }
    for (const [key, v] of this.views) {
      const wasCulled = this.culled.has(key);
      const isCulled = !inside.has(key);
      if (isCulled) this.culled.add(key);
      else this.culled.delete(key);
      if (!isCulled && (v.drawnZoom === 0 || (v.zoomDependent && v.drawnZoom !== this.zoom))) v.redraw(this.zoom);
      if (wasCulled !== isCulled) this.applyVisibility(v);
    }
  }

  private refreshZoomDependent(): void {
    for (const [key, v] of this.views) {
      if (!v.zoomDependent || this.culled.has(key) || v.drawnZoom === this.zoom) continue;
      v.redraw(this.zoom);
      this.contentDirty = true;
    }
  }

  private inCull(item: SceneItem): boolean {
    const [a, b, c, d] = this.cull;
    return item.maxX >= a && item.minX <= c && item.maxY >= b && item.minY <= d;
  }

  private applyVisibility(v: AnnotationView): void {
    v.setVisible(!this.culled.has(v.item.key) && !this.options.scene.isHidden(v.item));
  }

  styleOf(item: SceneItem): ViewStyle {
    return { color: this.options.colorOf(item.entityId), alpha: this.options.scene.isEntityLocked(item.entityId) ? STYLE.lockedAlpha : 1 };
  }

  /** Whether a row's view is built and not culled (used by the label layer). */
  isShown(item: SceneItem): boolean {
    return this.views.has(item.key) && !this.culled.has(item.key) && !this.options.scene.isHidden(item);
  }

  private makeView(item: SceneItem): AnnotationView {
    switch (item.shape.kind) {
      case "box":
        return new BoxView(item, this.env);
      case "path":
        return new PathView(item, this.env);
      case "keypoints":
        return new KeypointsView(item, this.env);
      case "mask":
        return new MaskView(item, this.env, this.masks);
      default:
        throw new TypeError(`no view for ${item.shape.kind}`);
    }
  }

  /** Releases every view, texture and container. */
  dispose(): void {
    for (const v of this.views.values()) v.destroy();
    this.views.clear();
    this.queue.clear();
    this.masks.destroy();
    this.root.destroy({ children: true });
  }
}

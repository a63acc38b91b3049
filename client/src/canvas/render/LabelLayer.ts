import { BitmapText, Container, Graphics } from "pixi.js";
import type { Camera } from "../scene/camera.js";
import { visibleWorld } from "../scene/camera.js";
import type { SceneItem, SceneModel } from "../scene/SceneModel.js";
import { darken, STYLE } from "./style.js";
import { labelStyle } from "./labelStyle.js";

/**
 * Category labels as BitmapText (glyph atlas, no canvas re-render), in screen space so they keep
 * their size. Only shapes wide enough on screen get one, at most {@link STYLE.maxLabels}; the set
 * is recomputed at most every `intervalMs` while the camera moves, and in between the whole layer
 * just follows the camera (one transform), so panning does no per-label work.
 */
export class LabelLayer {
  readonly root = new Container({ label: "labels" });
  /** A render group: following the camera is one GPU transform, not a re-transform of every label. */
  private readonly inner = new Container({ isRenderGroup: true });
  /**
   * Plates in the category colour behind the white texts, all in one Graphics: one batch (Pixi
   * draws stroked bitmap text one call per label).
   */
  private readonly plates = new Graphics();
  private readonly colors: number[] = [];
  private readonly labelled = new Set<string>();
  private readonly pool: BitmapText[] = [];
  private used = 0;
  private readonly slots: number[] = [];
  private computedAt: Camera | null = null;
  private lastCompute = -Infinity;
  private dirty = true;

  constructor(
    private readonly scene: SceneModel,
    private readonly shown: (item: SceneItem) => boolean,
    private readonly labelOf: (entityId: string) => string,
    private readonly colorOf: (entityId: string) => number,
    private readonly intervalMs = 150,
  ) {
    this.root.eventMode = "none";
    this.inner.addChild(this.plates);
    this.root.addChild(this.inner);
  }

  markDirty(): void {
    this.dirty = true;
  }

  update(cam: Camera, screenW: number, screenH: number, now: number, moving: boolean): void {
    const stale =
      this.dirty ||
      !this.computedAt ||
      (!moving && (cam.x !== this.computedAt.x || cam.y !== this.computedAt.y || cam.zoom !== this.computedAt.zoom));
    if (stale && (!moving || now - this.lastCompute >= this.intervalMs)) {
      this.recompute(cam, screenW, screenH);
      this.lastCompute = now;
      this.dirty = false;
    }
    const c = this.computedAt;
    if (!c) return;
    // Between recomputes the layer follows the camera as a whole (labels were placed for `c`);
    // during a zoom the text scales slightly until the next recompute.
    this.inner.position.set(cam.x, cam.y);
    this.inner.scale.set(cam.zoom / c.zoom);
  }

  private recompute(cam: Camera, screenW: number, screenH: number): void {
    this.computedAt = { ...cam };
    const [x0, y0, x1, y1] = visibleWorld(cam, screenW, screenH);
    const slots = this.scene.query(x0, y0, x1, y1, this.slots);
    let n = 0;
    const minWorld = STYLE.labelMinPx / cam.zoom;
    // Too many candidates means shapes are small on screen: skip the walk entirely.
    const labelled = this.labelled;
    labelled.clear();
    if (slots.length <= STYLE.maxLabels * 8) {
      for (const slot of slots) {
        if (n >= STYLE.maxLabels) break;
        const item = this.scene.bySlotIndex(slot);
        // One label per entity (a box and its polygon would otherwise stack two).
        if (!item || labelled.has(item.entityId) || item.maxX - item.minX < minWorld || !this.shown(item)) continue;
        labelled.add(item.entityId);
        const text = this.labelOf(item.entityId);
        if (!text) continue;
        const t = this.take(n++);
        if (t.text !== text) t.text = text;
        this.colors[n - 1] = this.colorOf(item.entityId);
        t.position.set(item.minX * cam.zoom, item.minY * cam.zoom);
        t.visible = true;
      }
    }
    for (let i = n; i < this.used; i++) (this.pool[i] as BitmapText).visible = false;
    this.used = n;
    this.plates.clear();
    for (let i = 0; i < n; i++) {
      const t = this.pool[i] as BitmapText;
      this.plates
        .rect(t.x - 2, t.y - t.height - 1, t.width + 4, t.height + 2)
        .fill({ color: darken(this.colors[i] ?? 0x444444), alpha: 0.9 });
    }
  }

  private take(i: number): BitmapText {
    let t = this.pool[i];
    if (!t) {
      t = new BitmapText({ text: "", style: labelStyle() });
      t.anchor.set(0, 1);
      this.pool.push(t);
      this.inner.addChild(t);
    }
    return t;
  }

  destroy(): void {
    this.root.destroy({ children: true });
  }
}

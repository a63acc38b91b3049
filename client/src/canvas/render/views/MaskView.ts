import { BufferImageSource, Sprite, Texture } from "pixi.js";
import type { SceneItem } from "../../scene/SceneModel.js";
import { maskRunsOf } from "../../scene/hitTest.js";
import { pixelBox, runsToRgbaCrop } from "../../scene/maskPixels.js";
import { STYLE } from "../style.js";
import type { AnnotationView, ViewEnv, ViewStyle } from "./AnnotationView.js";

/**
 * Textures of decoded masks, shared by RLE (`size` + `counts`) and reference-counted, so a mask
 * is decoded once however often its view is restyled or re-shown, and re-decoded only when its
 * RLE changes.
 */
export class MaskTextureCache {
  private readonly entries = new Map<string, { texture: Texture; refs: number }>();

  acquire(item: SceneItem): { key: string; texture: Texture; x: number; y: number; w: number; h: number } | null {
    const s = item.shape;
    if (s.kind !== "mask") return null;
    const mh = s.rle.size[0] ?? 0;
    const mw = s.rle.size[1] ?? 0;
    if (mh === 0 || mw === 0) return null;
    const box = pixelBox(s.box, mw, mh);
    const key = `${mh}x${mw}:${s.rle.counts}`;
    let e = this.entries.get(key);
    if (!e) {
      const runs = maskRunsOf(s);
      if (!runs) return null;
      const source = new BufferImageSource({
        resource: runsToRgbaCrop(runs, mh, box),
        width: box.w,
        height: box.h,
        format: "rgba8unorm",
        scaleMode: "nearest",
      });
      e = { texture: new Texture({ source }), refs: 0 };
      this.entries.set(key, e);
    }
    e.refs++;
    return { key, texture: e.texture, x: box.x / mw, y: box.y / mh, w: box.w / mw, h: box.h / mh };
  }

  release(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    if (--e.refs > 0) return;
    this.entries.delete(key);
    e.texture.destroy(true);
  }

  get size(): number {
    return this.entries.size;
  }

  destroy(): void {
    for (const e of this.entries.values()) e.texture.destroy(true);
    this.entries.clear();
  }
}

/** A mask: a sprite of the decoded RLE (cropped to its box), tinted with the category colour. */
export class MaskView implements AnnotationView {
  readonly zoomDependent = false;
  drawnZoom = 0;
  private readonly sprite = new Sprite();
  private key: string | null = null;

  constructor(
    readonly item: SceneItem,
    env: ViewEnv,
    private readonly cache: MaskTextureCache,
  ) {
    env.layers.masks.addChild(this.sprite);
  }

  redraw(zoom: number): void {
    const next = this.cache.acquire(this.item);
    if (this.key) this.cache.release(this.key);
    this.key = next?.key ?? null;
    const t = this.item.tile;
    if (!next) {
      this.sprite.texture = Texture.EMPTY;
    } else {
      this.sprite.texture = next.texture;
      this.sprite.position.set(t.x + next.x * t.width, t.y + next.y * t.height);
      this.sprite.width = next.w * t.width;
      this.sprite.height = next.h * t.height;
    }
    this.drawnZoom = zoom;
  }

  restyle(style: ViewStyle): void {
    this.sprite.tint = style.color;
    this.sprite.alpha = STYLE.maskAlpha * style.alpha;
  }

  setVisible(visible: boolean): void {
    this.sprite.visible = visible;
  }

  destroy(): void {
    if (this.key) this.cache.release(this.key);
    this.key = null;
    this.sprite.destroy();
  }
}

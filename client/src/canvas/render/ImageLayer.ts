import { ColorMatrixFilter, Container, Graphics, ImageSource, Sprite, Texture } from "pixi.js";
import type { CanvasView } from "../types.js";
import type { ViewTile } from "../scene/layout.js";
import { adjustmentMatrix } from "./imageAdjust.js";

/**
 * One sprite per view, placed on its tile. A neutral placeholder marks each tile at once; each
 * image replaces it as soon as it has loaded and decoded (before any annotation is built).
 * Brightness/contrast go through a ColorMatrixFilter that is attached only when not neutral.
 */
export class ImageLayer {
  readonly root = new Container({ label: "images" });
  private readonly placeholders = new Graphics();
  private readonly sprites = new Map<string, Sprite>();
  private readonly textures: Texture[] = [];
  /** Frame mode: the texture each tile shows now (released when the next frame replaces it). */
  private readonly frameTextures = new Map<string, Texture>();
  private readonly filter = new ColorMatrixFilter();
  private destroyed = false;

  constructor(private readonly tiles: readonly ViewTile[]) {
    this.root.eventMode = "none";
    for (const t of tiles) this.placeholders.rect(t.x, t.y, t.width, t.height);
    this.placeholders.fill({ color: 0x2a2d33 });
    this.root.addChild(this.placeholders);
  }

  /**
   * Loads every view's image; `onShown(viewId)` fires when one is on screen-ready. Failures are
   * reported per view (the placeholder stays) so one broken image does not block the others.
   */
  load(
    views: readonly CanvasView[],
    onShown: (viewId: string) => void,
    onError: (viewId: string, err: unknown) => void,
  ): Promise<void> {
    return Promise.all(
      views.map(async (v) => {
        try {
          const bitmap = await decodeImage(v.src);
          if (this.destroyed) {
            bitmap.close();
            return;
          }
          this.show(v.id, Texture.from(bitmap));
          onShown(v.id);
        } catch (err) {
          onError(v.id, err);
        }
      }),
    ).then(() => undefined);
  }

  private show(viewId: string, texture: Texture): void {
    const tile = this.tiles.find((t) => t.id === viewId);
    if (!tile || this.sprites.has(viewId)) {
      // A frame (video) was shown on this tile before its first image arrived: keep the frame.
      texture.destroy(true);
      return;
    }
    this.textures.push(texture);
    const s = new Sprite(texture);
    s.position.set(tile.x, tile.y);
    s.width = tile.width;
    s.height = tile.height;
    this.sprites.set(viewId, s);
    this.root.addChild(s);
    // Once every view has its image the placeholders would only cost fill rate.
    if (this.sprites.size === this.tiles.length) this.placeholders.visible = false;
  }

  /**
   * Frame mode: shows another picture on a view's tile (the next video frame). The texture wraps
   * the bitmap without Pixi's cache and is re-uploaded in place while frames keep their size;
   * otherwise the previous frame's texture is released (the bitmaps belong to the workspace's
   * frame cache).
   */
  replace(viewId: string, image: ImageBitmap): void {
    if (this.destroyed) return;
    const current = this.frameTextures.get(viewId);
    if (current && current.source.pixelWidth === image.width && current.source.pixelHeight === image.height) {
      // Same size as the frame before (the usual case): upload into the same GPU texture.
      current.source.resource = image;
      current.source.update();
      return;
    }
    const texture = new Texture({ source: new ImageSource({ resource: image }) });
    const s = this.sprites.get(viewId);
    if (!s) {
      this.show(viewId, texture);
      this.frameTextures.set(viewId, texture);
      return;
    }
    const old = this.frameTextures.get(viewId);
    s.texture = texture;
    const tile = this.tiles.find((t) => t.id === viewId);
    if (tile) {
      s.width = tile.width;
      s.height = tile.height;
    }
    this.frameTextures.set(viewId, texture);
    old?.destroy(true);
  }

  setAdjustments(brightness: number, contrast: number): void {
    const m = adjustmentMatrix(brightness, contrast);
    if (!m) {
      this.root.filters = [];
      return;
    }
    this.filter.matrix = m as ColorMatrixFilter["matrix"];
    this.root.filters = [this.filter];
  }

  destroy(): void {
    this.destroyed = true;
    this.root.destroy({ children: true });
    for (const t of this.textures) t.destroy(true);
    for (const t of this.frameTextures.values()) if (!this.textures.includes(t)) t.destroy(true);
    this.filter.destroy();
  }
}

async function decodeImage(src: string): Promise<ImageBitmap> {
  const res = await fetch(src);
  if (!res.ok) throw new Error(`image ${src}: HTTP ${res.status}`);
  return createImageBitmap(await res.blob());
}
